package dev.llama3j.format.io;

import dev.llama3j.LlamaException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A whole file mapped read-only into memory. Weights are read in place from {@link #segment()}, so the
 * mapping lives as long as the model; {@link #close()} unmaps it (a shared arena, because every worker
 * thread reads it). Any slice taken from the segment becomes invalid once closed.
 */
public final class MappedFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private boolean closed;

    private MappedFile(Path path, Arena arena, MemorySegment segment) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
    }

    /** Maps {@code path}; a missing, unreadable or non-regular file is a {@link LlamaException}. */
    public static MappedFile open(Path path) {
        if (Files.isDirectory(path)) {
            throw new LlamaException(path + ": is a directory, expected a file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new MappedFile(path, arena, segment);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new LlamaException(path + ": file not found");
        } catch (AccessDeniedException e) {
            arena.close();
            throw new LlamaException(path + ": permission denied (cannot read the file)");
        } catch (IOException | UnsupportedOperationException e) {
            arena.close();
            throw new LlamaException(path + ": cannot map the file: " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** The whole file, read-only; valid until {@link #close()}. */
    public MemorySegment segment() {
        return segment;
    }

    public long size() {
        return segment.byteSize();
    }

    /** Unmaps the file; calling it again does nothing. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
