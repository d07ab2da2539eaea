package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import dev.llama3j.format.io.MappedFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Meta's {@code checklist.chk}: {@code md5sum} lines {@code <md5>  <file name>} for the files of a download.
 * Verifying reads every byte of every listed file (many GB for a real model), so it is opt-in.
 */
public final class Checklist {
    public static final String FILE_NAME = "checklist.chk";
    private static final Pattern LINE = Pattern.compile("([0-9a-fA-F]{32}) [ *](.+)");
    /** Stays well inside what one ByteBuffer view of a mapped segment can cover. */
    private static final long CHUNK = 64L << 20;

    private Checklist() {}

    /**
     * Checks every file listed in {@code dir/checklist.chk} against its MD5.
     *
     * @return the names of the verified files, in the checklist's order
     */
    public static List<String> verify(Path dir) {
        Path checklist = dir.resolve(FILE_NAME);
        List<String> lines;
        try {
            lines = Files.readAllLines(checklist);
        } catch (NoSuchFileException e) {
            throw new LlamaException(checklist + ": file not found (nothing to verify against)");
        } catch (IOException e) {
            throw new LlamaException(checklist + ": cannot read: " + e.getMessage(), e);
        }
        List<String> verified = new ArrayList<>();
        for (var entry : parse(String.join("\n", lines), checklist.toString()).entrySet()) {
            String name = entry.getKey();
            String actual;
            try (MappedFile file = MappedFile.open(dir.resolve(name))) {
                actual = md5(file.segment());
            }
            if (!actual.equalsIgnoreCase(entry.getValue())) {
                throw new LlamaException(dir.resolve(name) + ": MD5 " + actual + " does not match " + entry.getValue()
                        + " in " + FILE_NAME + " (the file is corrupt or incomplete)");
            }
            verified.add(name);
        }
        return verified;
    }

    /**
     * The entries of a checklist's text, file name to lower-case MD5, in its order; {@code source} names it in errors.
     * Every name must be a plain file name in the checklist's own folder.
     */
    public static Map<String, String> parse(String text, String source) {
        Map<String, String> entries = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new LlamaException(source + ": line " + (i + 1) + " is not '<md5>  <file name>'");
            }
            String name = m.group(2);
            if (name.contains("/") || name.contains("\\") || name.equals("..") || name.equals(".")) {
                throw new LlamaException(source + ": line " + (i + 1) + " names '" + name
                        + "', expected a file in the same folder");
            }
            entries.put(name, m.group(1).toLowerCase(Locale.ROOT));
        }
        return entries;
    }

    /** MD5 of {@code data} as lower-case hex, streamed in chunks. */
    public static String md5(MemorySegment data) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides MD5", e);
        }
        for (long at = 0; at < data.byteSize(); at += CHUNK) {
            md.update(data.asSlice(at, Math.min(CHUNK, data.byteSize() - at)).asByteBuffer());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
