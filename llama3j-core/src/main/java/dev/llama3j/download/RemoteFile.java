package dev.llama3j.download;

import dev.llama3j.LlamaException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * One file to fetch: where from, where to, its size when known in advance (-1 if not) and the checksum it must
 * match (null when the source publishes none, as for Meta's LICENSE).
 *
 * @param label the name shown in progress lines and errors (never the URL: a presigned URL is a credential)
 */
public record RemoteFile(String label, URI uri, Path target, long size, Checksum checksum) {
    /** Where the bytes go until the whole file is verified. */
    public Path part() {
        return partOf(target);
    }

    private static Path partOf(Path target) {
        return target.resolveSibling(target.getFileName() + ".part");
    }

    /** A small file written whole to its part file, then moved into place: never seen half-written. */
    static void writeAtomically(Path target, byte[] bytes) {
        Path part = partOf(target);
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            Files.write(part, bytes);
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LlamaException(target + ": cannot write: " + e.getMessage(), e);
        }
    }
}
