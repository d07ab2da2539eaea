package dev.llama3j.cli;

import java.lang.management.ManagementFactory;

/**
 * Wall-clock marks of one CLI run, for the {@code --timing} line: when main began (the JVM's own boot and class
 * loading come before), when the model was loaded and when the first token came out, each since the JVM started.
 */
final class StartupClock {
    private static long mainMillis;
    private static long loadedMillis;
    private static long firstTokenMillis;

    private StartupClock() {}

    static void mainStarted() {
        mainMillis = System.currentTimeMillis();
    }

    static void modelLoaded() {
        loadedMillis = System.currentTimeMillis();
    }

    /** Records the first call only: the first token of the run. */
    static void tokenOut() {
        if (firstTokenMillis == 0) {
            firstTokenMillis = System.currentTimeMillis();
        }
    }

    /**
     * "main 0.19 s, model loaded 1.20 s, first token 2.50 s after the JVM started", or null when main was not
     * reached through {@link Main#main} (tests) or no token was streamed.
     */
    static String describe() {
        if (mainMillis == 0 || loadedMillis == 0 || firstTokenMillis == 0) {
            return null;
        }
        // read only now: the management classes are not worth loading before the first token
        long start = ManagementFactory.getRuntimeMXBean().getStartTime();
        return String.format("main %.2f s, model loaded %.2f s, first token %.2f s after the JVM started",
                (mainMillis - start) / 1e3, (loadedMillis - start) / 1e3, (firstTokenMillis - start) / 1e3);
    }
}
