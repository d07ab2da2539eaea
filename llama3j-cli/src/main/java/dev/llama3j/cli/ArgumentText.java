package dev.llama3j.cli;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Command-line arguments that were not valid text. The JVM decodes them with the locale's encoding and replaces
 * what it cannot decode with U+FFFD, silently; the raw bytes (Linux: /proc/self/cmdline) tell a bad byte, a locale
 * that cannot read UTF-8, and a U+FFFD the user really typed apart.
 */
final class ArgumentText {
    private static final char REPLACEMENT = '\uFFFD';

    private ArgumentText() {}

    /**
     * The one-line message for the first argument that did not decode, or null when all did.
     *
     * @param raw supplies each argument's bytes as given to the process (null entries or a null array: unknown)
     */
    static String problem(String[] args, Supplier<byte[][]> raw, Charset encoding) {
        byte[][] bytes = null;
        for (int i = 0; i < args.length; i++) {
            int at = args[i].indexOf(REPLACEMENT);
            if (at < 0) {
                continue;
            }
            if (bytes == null) {
                bytes = raw.get();
                bytes = bytes == null || bytes.length != args.length ? new byte[args.length][] : bytes;
            }
            String name = "argument " + (i + 1) + " ('" + args[i] + "')";
            byte[] b = bytes[i];
            if (b == null || !new String(b, encoding).equals(args[i])) {
                return name + ": invalid UTF-8, or text the locale's encoding (" + encoding
                        + ") cannot read: character " + (at + 1) + " is U+FFFD";
            }
            String invalid = StrictUtf8.problem(b, name);
            if (invalid != null) {
                return invalid;
            }
            if (!encoding.equals(StandardCharsets.UTF_8)) {
                return name + ": the locale's encoding (" + encoding + ") cannot read this UTF-8 text; use a UTF-8"
                        + " locale (for example LANG=C.UTF-8)";
            }
            // valid UTF-8 that holds U+FFFD itself: what the user typed
        }
        return null;
    }

    /** The JVM's encoding of arguments (the locale's). */
    static Charset encoding() {
        String name = System.getProperty("sun.jnu.encoding");
        try {
            return name == null ? Charset.defaultCharset() : Charset.forName(name);
        } catch (RuntimeException e) {
            return Charset.defaultCharset();
        }
    }

    /**
     * The last {@code count} entries of /proc/self/cmdline, the program's own arguments (the launcher passes them
     * last), or null where there is no such file.
     */
    static byte[][] fromProc(int count) {
        byte[] all;
        try {
            all = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
        List<byte[]> entries = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == 0) {
                entries.add(Arrays.copyOfRange(all, start, i));
                start = i + 1;
            }
        }
        if (entries.size() < count) {
            return null;
        }
        return entries.subList(entries.size() - count, entries.size()).toArray(new byte[0][]);
    }
}
