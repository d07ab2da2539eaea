package dev.llama3j.format.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.llama3j.format.io.AlignedChunkWriter.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AlignedChunkWriterTest {
    @TempDir
    Path dir;

    /** Each write the channel received: file offset and length. */
    private record Piece(long at, int length) {
        long end() {
            return at + length;
        }
    }

    @Test
    void writesEveryByteInPiecesEndingOnChunkBoundaries() throws IOException {
        Random random = new Random(7);
        byte[] data = new byte[3 * CHUNK + 12_345];
        random.nextBytes(data);
        Path file = dir.resolve("f");
        List<Piece> pieces = new ArrayList<>();
        long initial = 1_000; // an unaligned start, like a download resumed from its part file
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[(int) initial]));
            try (AlignedChunkWriter out = new AlignedChunkWriter(recording(ch, pieces))) {
                int off = 0;
                int[] sizes = {0, 1, 4095, CHUNK + 3, 17, 2 * CHUNK, 64 << 10};
                for (int i = 0; off < data.length; i++) {
                    int n = Math.min(sizes[i % sizes.length], data.length - off);
                    if (i % 2 == 0) {
                        out.write(data, off, n);
                    } else {
                        out.write(ByteBuffer.wrap(data, off, n));
                    }
                    off += n;
                    assertThat(out.position()).isEqualTo(initial + off);
                }
            }
        }
        byte[] written = Files.readAllBytes(file);
        assertThat(Arrays.copyOfRange(written, (int) initial, written.length)).isEqualTo(data);
        assertThat(pieces.getFirst().at()).isEqualTo(initial);
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            if (i > 0) {
                assertThat(p.at()).as("piece %d follows the last", i).isEqualTo(pieces.get(i - 1).end());
            }
            if (i < pieces.size() - 1) {
                assertThat(p.end() % CHUNK).as("piece %d's end", i).isZero();
                assertThat(p.length()).isLessThanOrEqualTo(CHUNK);
            }
        }
        assertThat(pieces.getLast().end()).isEqualTo(initial + data.length);
        assertThat(pieces).hasSize(4); // to 2 MiB, 4 MiB, 6 MiB, then the tail
    }

    @Test
    void aFlushWritesThePartialPieceAndKeepsLaterBoundaries() throws IOException {
        Path file = dir.resolve("g");
        List<Piece> pieces = new ArrayList<>();
        byte[] data = new byte[CHUNK + 100];
        new Random(3).nextBytes(data);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             AlignedChunkWriter out = new AlignedChunkWriter(recording(ch, pieces))) {
            out.write(data, 0, 10);
            out.flush();
            out.flush(); // nothing buffered: no write
            out.write(data, 10, data.length - 10);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(data);
        assertThat(pieces).containsExactly(new Piece(0, 10), new Piece(10, CHUNK - 10), new Piece(CHUNK, 100));
    }

    @Test
    void closingOnAnInterruptedThreadWritesTheBufferAndKeepsTheInterrupt() throws IOException {
        Path file = dir.resolve("h");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            AlignedChunkWriter out = new AlignedChunkWriter(ch);
            out.write(new byte[] {1, 2, 3}, 0, 3);
            Thread.currentThread().interrupt();
            try {
                out.close();
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(ch.isOpen()).isTrue();
        }
        assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3);
    }

    @Test
    void aFlushAfterAFailedOneWritesEachByteOnce() throws IOException {
        Path file = dir.resolve("i");
        byte[] data = new byte[3000];
        new Random(5).nextBytes(data);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            // takes at most 1000 bytes a call, and fails its second call
            int[] calls = {0};
            SeekableByteChannel flaky = recording(ch, new ArrayList<>(), src -> {
                if (++calls[0] == 2) {
                    throw new IOException("disk full");
                }
                return Math.min(1000, src.remaining());
            });
            AlignedChunkWriter out = new AlignedChunkWriter(flaky);
            out.write(data, 0, data.length);
            assertThatThrownBy(out::flush).hasMessage("disk full");
            assertThat(Files.size(file)).isEqualTo(1000);
            out.close();
            assertThat(out.position()).isEqualTo(3000);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(data);
    }

    /** How many bytes a write may take of a buffer (or an exception). */
    private interface WriteLimit {
        int bytes(ByteBuffer src) throws IOException;
    }

    private static SeekableByteChannel recording(FileChannel ch, List<Piece> pieces) {
        return recording(ch, pieces, ByteBuffer::remaining);
    }

    /** The channel, with each write's offset and length recorded (a channel may write part of a buffer). */
    private static SeekableByteChannel recording(FileChannel ch, List<Piece> pieces, WriteLimit limit) {
        return new SeekableByteChannel() {
            @Override
            public int write(ByteBuffer src) throws IOException {
                long at = ch.position();
                ByteBuffer part = src.duplicate();
                part.limit(part.position() + limit.bytes(src));
                int n = ch.write(part);
                src.position(src.position() + n);
                if (n > 0) {
                    pieces.add(new Piece(at, n));
                }
                return n;
            }

            @Override
            public int read(ByteBuffer dst) {
                throw new UnsupportedOperationException();
            }

            @Override
            public long position() throws IOException {
                return ch.position();
            }

            @Override
            public SeekableByteChannel position(long p) throws IOException {
                ch.position(p);
                return this;
            }

            @Override
            public long size() throws IOException {
                return ch.size();
            }

            @Override
            public SeekableByteChannel truncate(long size) throws IOException {
                ch.truncate(size);
                return this;
            }

            @Override
            public boolean isOpen() {
                return ch.isOpen();
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }
}
