package dev.llama3j.download;

import java.net.URI;
import java.nio.file.Path;

/**
 * One file to fetch: where from, where to, its size when known in advance (-1 if not) and the checksum it must
 * match (null when the source publishes none, as for Meta's LICENSE).
 *
 * @param label the name shown in progress lines and errors (never the URL: a presigned URL is a credential)
 */
public record RemoteFile(String label, URI uri, Path target, long size, Checksum checksum) {
    /** Where the bytes go until the whole file is verified. */
    public Path part() {
        return target.resolveSibling(target.getFileName() + ".part");
    }
}
