package dev.llama3j.format.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;

/**
 * Writes to a channel in pieces that end on multiples of {@link #CHUNK} bytes of the file (only the piece written
 * by {@link #flush()} may end elsewhere). Linux page caches with large folios (ext4, XFS) then hold a written model
 * in 2 MiB folios, and a later mapping of the file gets 2 MiB pages: the first pass over the weights touches one
 * page per 2 MiB instead of 512, which is what the first token of a freshly started process waits on. Small writes
 * leave the file in 4 KiB folios for as long as it stays cached.
 *
 * <p>Writes go at the channel's position, which must not be moved by anyone else meanwhile. {@link #close()}
 * flushes and leaves the channel open.
 */
public final class AlignedChunkWriter implements AutoCloseable {
    /** The x86-64 and AArch64 (4 KiB granule) huge-page size. */
    public static final int CHUNK = 2 << 20;

    private final SeekableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
    /** File offset of the buffer's first byte. */
    private long start;
    /** Bytes at the buffer's start already written: a flush that failed part way resumes after them. */
    private int written;

    /** Writes from the channel's current position on. */
    public AlignedChunkWriter(SeekableByteChannel channel) throws IOException {
        this.channel = channel;
        this.start = channel.position();
        limitToBoundary();
    }

    public void write(byte[] bytes, int off, int len) throws IOException {
        write(ByteBuffer.wrap(bytes, off, len));
    }

    /** Writes the source's remaining bytes (its position ends at its limit). */
    public void write(ByteBuffer source) throws IOException {
        while (source.hasRemaining()) {
            int n = Math.min(buffer.remaining(), source.remaining());
            buffer.put(buffer.position(), source, source.position(), n);
            buffer.position(buffer.position() + n);
            source.position(source.position() + n);
            if (!buffer.hasRemaining()) {
                flush();
            }
        }
    }

    /** File offset just past the last byte given, written or buffered. */
    public long position() {
        return start + buffer.position();
    }

    /**
     * Writes what is buffered; later pieces still end on the file's multiples of {@link #CHUNK}. After an exception
     * it may be called again: it goes on from the last byte the channel took.
     */
    public void flush() throws IOException {
        ByteBuffer pending = buffer.duplicate().limit(buffer.position()).position(written);
        while (pending.hasRemaining()) {
            written += channel.write(pending);
        }
        start += buffer.position();
        written = 0;
        buffer.clear();
        limitToBoundary();
    }

    /**
     * Flushes, also on an interrupted thread (where a {@code FileChannel} would close itself and drop the bytes
     * buffered: a download stopped by an interrupt keeps all it received); the interrupt stays set.
     */
    @Override
    public void close() throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            flush();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The buffer fills up to the file's next multiple of {@link #CHUNK}. */
    private void limitToBoundary() {
        buffer.limit(CHUNK - (int) (start % CHUNK));
    }
}
