package dev.llama3j.cli;

import dev.llama3j.download.Bytes;
import dev.llama3j.download.DownloadListener;
import dev.llama3j.download.RemoteFile;

import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Download progress on stderr: on a terminal one bar per file in flight (bytes, rate, time left), redrawn in place
 * at most ten times a second; otherwise (a log, a pipe) one line when a file starts and one when it is done.
 */
final class DownloadProgress implements DownloadListener {
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private final Map<RemoteFile, State> active = new LinkedHashMap<>();
    private int drawnLines;
    private long lastDraw;

    private static final class State {
        final long startNanos = System.nanoTime();
        final long from;
        final long size;
        long done;

        State(long from, long size) {
            this.from = from;
            this.size = size;
            this.done = from;
        }
    }

    DownloadProgress(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    static DownloadProgress forStderr() {
        var console = System.console();
        boolean terminal = console != null && console.isTerminal() && System.getenv("TERM") != null
                && !"dumb".equals(System.getenv("TERM"));
        return new DownloadProgress(System.err, terminal);
    }

    @Override
    public synchronized void started(RemoteFile file, long from, long size) {
        active.put(file, new State(from, size));
        if (terminal) {
            redraw(true);
        } else {
            out.println("llama3j: fetching " + file.label() + (size >= 0 ? " (" + Bytes.human(size) + ")" : "")
                    + (from > 0 ? ", resuming at " + Bytes.human(from) : ""));
        }
    }

    @Override
    public synchronized void progressed(RemoteFile file, long done) {
        State s = active.get(file);
        if (s != null) {
            s.done = done;
        }
        if (terminal && System.nanoTime() - lastDraw > REDRAW_NANOS) {
            redraw(false);
        }
    }

    @Override
    public synchronized void retrying(RemoteFile file, int attempt, String why, Duration wait) {
        clearBars();
        out.printf(Locale.ROOT, "llama3j: %s: %s; retrying in %d s (attempt %d)%n", file.label(), why,
                Math.max(1, wait.toSeconds()), attempt + 1);
        redraw(true);
    }

    @Override
    public synchronized void finished(RemoteFile file, boolean present) {
        State s = active.remove(file);
        clearBars();
        if (present) {
            out.println("llama3j: " + file.label() + " is already there, verified");
        } else if (s != null) {
            double seconds = Math.max(1e-3, (System.nanoTime() - s.startNanos) / 1e9);
            out.printf(Locale.ROOT, "llama3j: %s done (%s in %.1f s, %s/s)%n", file.label(), Bytes.human(s.done),
                    seconds, Bytes.human((long) ((s.done - s.from) / seconds)));
        } else {
            out.println("llama3j: " + file.label() + " done");
        }
        redraw(true);
    }

    private void clearBars() {
        if (terminal && drawnLines > 0) {
            out.print("\033[" + drawnLines + "A\033[J");
            drawnLines = 0;
        }
    }

    private void redraw(boolean force) {
        if (!terminal || (!force && active.isEmpty())) {
            return;
        }
        clearBars();
        for (var e : active.entrySet()) {
            out.println(bar(e.getKey().label(), e.getValue()));
        }
        out.flush();
        drawnLines = active.size();
        lastDraw = System.nanoTime();
    }

    /** {@code name  [#####.....]  45%  1.20 GB/2.50 GB  35.2 MB/s  0:37 left} */
    static String bar(String label, State s) {
        double seconds = Math.max(1e-3, (System.nanoTime() - s.startNanos) / 1e9);
        double rate = (s.done - s.from) / seconds;
        String name = label.length() > 40 ? "..." + label.substring(label.length() - 37) : label;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s ", name));
        if (s.size > 0) {
            int width = 20;
            int filled = (int) Math.min(width, s.done * width / s.size);
            line.append('[').append("#".repeat(filled)).append(".".repeat(width - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%% ", s.done * 100 / s.size))
                    .append(Bytes.human(s.done)).append('/').append(Bytes.human(s.size));
        } else {
            line.append(Bytes.human(s.done));
        }
        line.append("  ").append(Bytes.human((long) rate)).append("/s");
        if (s.size > 0 && rate > 0) {
            long left = (long) ((s.size - s.done) / rate);
            line.append(String.format(Locale.ROOT, "  %d:%02d left", left / 60, left % 60));
        }
        return line.toString();
    }
}
