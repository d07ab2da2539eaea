package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.convert.GgufTokenizerSource;
import dev.llama3j.convert.GgufTokenizers;
import dev.llama3j.format.gguf.GgufWriter;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** What convert and synth share: the output checks, the tokenizer option, the progress bar and summary. */
final class GgufOutput {
    private static final int BAR_WIDTH = 30;

    private GgufOutput() {}

    /** Fails before any work when the output exists (without --force) or cannot be created. */
    static void checkWritable(Path out, boolean force) {
        if (Files.isDirectory(out)) {
            throw new LlamaException(out + ": is a directory, expected the path of the .gguf file to write");
        }
        if (Files.exists(out) && !force) {
            throw new LlamaException(out + ": already exists (use --force to overwrite it)");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new LlamaException(out + ": the folder " + parent + " does not exist");
        }
        if (!Files.isWritable(parent)) {
            throw new LlamaException(out + ": cannot write to the folder " + parent + " (permission denied)");
        }
    }

    static GgufTokenizerSource tokenizer(Path tokenizerModel, boolean llama31) {
        return tokenizerModel == null ? null : GgufTokenizers.fromTokenizerModel(tokenizerModel, llama31);
    }

    /** Writes the file, with a progress bar on stderr when it is a terminal, then one summary line. */
    static void write(GgufWriter writer, Path out, String what) {
        PrintStream err = System.err;
        long start = System.nanoTime();
        GgufWriter.Progress progress = System.console() == null ? null : new Bar(err);
        writer.write(out, progress);
        if (progress != null) {
            err.print("\r" + " ".repeat(BAR_WIDTH + 40) + "\r");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long bytes;
        try {
            bytes = Files.size(out);
        } catch (java.io.IOException e) {
            bytes = writer.tensorBytes();
        }
        err.printf("llama3j: wrote %s (%s, %.1f MiB) in %.1f s%n", out, what, bytes / (1024.0 * 1024.0), seconds);
    }

    /** Redraws at most once per percent. */
    private static final class Bar implements GgufWriter.Progress {
        private final PrintStream err;
        private int shown = -1;

        Bar(PrintStream err) {
            this.err = err;
        }

        @Override
        public void update(String tensor, long done, long total) {
            int percent = total == 0 ? 100 : (int) (100 * done / total);
            if (percent == shown) {
                return;
            }
            shown = percent;
            int filled = percent * BAR_WIDTH / 100;
            err.printf("\r[%s%s] %3d%% %-32.32s", "#".repeat(filled), " ".repeat(BAR_WIDTH - filled), percent, tensor);
            err.flush();
        }
    }
}
