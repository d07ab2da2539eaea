package dev.llama3j.download;

import dev.llama3j.LlamaException;

/** The download was interrupted (Ctrl-C, a cancelled task): finished files are in place, the rest are {@code .part}. */
public final class DownloadInterruptedException extends LlamaException {
    public DownloadInterruptedException() {
        super("download interrupted; the files not finished are kept as *.part and resume when the same command "
                + "runs again");
    }
}
