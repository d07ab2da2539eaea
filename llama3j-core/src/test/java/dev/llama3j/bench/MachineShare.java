package dev.llama3j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much of a shared Linux machine's CPU time other processes take ({@code /proc/stat} less this process's
 * {@code /proc/self/stat}), so that a benchmark can start when they are quiet and say how quiet they stayed.
 */
final class MachineShare {
    private long total;
    private long busy;
    private long own;

    /** Starts a measurement now. */
    MachineShare() {
        sample();
    }

    /** The share (0..1) of all CPUs' time since the last call (or the start) that other processes took. */
    double others() {
        long t0 = total;
        long b0 = busy;
        long o0 = own;
        sample();
        return total == t0 ? 0 : Math.max(0, (double) (busy - b0 - (own - o0)) / (total - t0));
    }

    /**
     * Waits, up to {@code maxSeconds}, until other processes took under {@code share} of the CPUs over 3 seconds;
     * returns the last share seen.
     */
    static double awaitQuiet(double share, int maxSeconds) throws InterruptedException {
        MachineShare m = new MachineShare();
        double seen = 1;
        for (long end = System.nanoTime() + maxSeconds * 1_000_000_000L; System.nanoTime() < end; ) {
            Thread.sleep(3000);
            seen = m.others();
            if (seen < share) {
                break;
            }
        }
        return seen;
    }

    /** The machine's busy and total ticks ("cpu" line: user nice system idle iowait ...), and this process's. */
    private void sample() {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long sum = 0;
            for (int i = 1; i < cpu.length; i++) {
                sum += Long.parseLong(cpu[i]);
            }
            total = sum;
            busy = sum - Long.parseLong(cpu[4]) - Long.parseLong(cpu[5]);
            String self = Files.readString(Path.of("/proc/self/stat"));
            // fields after the command's closing parenthesis: state is field 3, utime 14, stime 15
            String[] f = self.substring(self.lastIndexOf(')') + 2).split(" ");
            own = Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException e) {
            throw new IllegalStateException("this benchmark reads /proc (Linux): " + e.getMessage());
        }
    }
}
