package dev.llama3j.download;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.ToLongFunction;

/**
 * How a {@link Transfer} behaves: files at once, attempts per file and the first wait between them (doubled each
 * time), the connect/read timeout that turns a stalled connection into a retry, and how free space is measured.
 */
public record TransferOptions(int workers, int attempts, Duration firstRetryWait, Duration timeout,
                              ToLongFunction<Path> usableSpace) {
    public TransferOptions {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be >= 1, got " + attempts);
        }
    }

    /** 4 files at once, 6 attempts from 1 s apart, 60 s timeouts, the file system's usable space. */
    public static TransferOptions defaults() {
        return new TransferOptions(4, 6, Duration.ofSeconds(1), Duration.ofSeconds(60), TransferOptions::freeSpace);
    }

    public TransferOptions withWorkers(int n) {
        return new TransferOptions(n, attempts, firstRetryWait, timeout, usableSpace);
    }

    public TransferOptions withRetries(int n, Duration firstWait) {
        return new TransferOptions(workers, n, firstWait, timeout, usableSpace);
    }

    public TransferOptions withTimeout(Duration t) {
        return new TransferOptions(workers, attempts, firstRetryWait, t, usableSpace);
    }

    public TransferOptions withUsableSpace(ToLongFunction<Path> f) {
        return new TransferOptions(workers, attempts, firstRetryWait, timeout, f);
    }

    /** Usable bytes on the file system holding {@code dir} (its first existing ancestor). */
    static long freeSpace(Path dir) {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        try {
            return Files.getFileStore(p == null ? Path.of("").toAbsolutePath() : p).getUsableSpace();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
