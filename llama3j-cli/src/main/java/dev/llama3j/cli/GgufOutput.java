package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.convert.GgufTokenizerSource;
import dev.llama3j.convert.GgufTokenizers;
import dev.llama3j.format.gguf.GgufWriter;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What convert and synth share: the output checks, the tokenizer option, the progress bar and summary. */
final class GgufOutput {
    private static final int BAR_WIDTH = 30;

    private GgufOutput() {}

    /**
     * Fails before any work when the output exists (without --force) or cannot be created; warns in one line
     * about unfinished files of earlier interrupted writes in the output's folder.
     */
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
        warnAboutUnfinished(out, parent);
    }

    /** A write killed before its shutdown hook could run (SIGKILL, power loss) leaves its .tmp file behind. */
    private static void warnAboutUnfinished(Path out, Path folder) {
        List<Path> unfinished = GgufWriter.unfinishedFiles(folder);
        if (unfinished.isEmpty()) {
            return;
        }
        Path own = GgufWriter.temporaryFile(out.toAbsolutePath()).getFileName();
        List<String> shown = new ArrayList<>();
        for (Path p : unfinished) {
            String size;
            try {
                long bytes = Files.size(p);
                size = bytes >= 1L << 30 ? String.format("%.1f GiB", bytes / (double) (1L << 30))
                        : String.format("%.1f MiB", bytes / (double) (1L << 20));
            } catch (java.io.IOException e) {
                size = "size unknown";
            }
            shown.add(p.getFileName() + " (" + size + (p.getFileName().equals(own) ? ", will be replaced" : "") + ")");
        }
        System.err.println("llama3j: warning: unfinished GGUF output of an interrupted convert or synth in " + folder
                + ": " + String.join(", ", shown) + "; delete " + (shown.size() == 1 ? "it" : "them")
                + " unless another llama3j is still writing " + (shown.size() == 1 ? "it" : "them"));
    }

    /** The tokenizer of a tokenizer.model or tokenizer.json (by its .json name), or null for none. */
    static GgufTokenizerSource tokenizer(Path file, boolean llama31) {
        return file == null ? null : GgufTokenizers.fromFile(file, llama31);
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
