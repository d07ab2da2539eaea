package dev.llama3j.download;

import java.time.Duration;

/** Progress of a download, called from the transfer threads (several files run at once). */
public interface DownloadListener {
    /** The transfer of {@code file} begins at byte {@code from} (non-zero when a {@code .part} file resumes). */
    default void started(RemoteFile file, long from, long size) {}

    /** {@code done} bytes of {@code file} are on disk. */
    default void progressed(RemoteFile file, long done) {}

    /** A transient failure; the transfer resumes after {@code wait}. */
    default void retrying(RemoteFile file, int attempt, String why, Duration wait) {}

    /** {@code file} is in place and verified; {@code present}: it already was, nothing was fetched. */
    default void finished(RemoteFile file, boolean present) {}

    DownloadListener NONE = new DownloadListener() {};
}
