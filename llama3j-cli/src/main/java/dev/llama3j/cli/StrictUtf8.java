package dev.llama3j.cli;

import dev.llama3j.LlamaException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Text the user gives (files, stdin, arguments) decoded as UTF-8 that must be valid: a bad byte is reported as
 * "SOURCE: invalid UTF-8 at byte N (0xXX)", never replaced silently with U+FFFD.
 */
final class StrictUtf8 {
    private StrictUtf8() {}

    /** {@code bytes[0, length)} as text, or a {@link LlamaException} naming {@code source} and the first bad byte. */
    static String decode(byte[] bytes, int length, String source) {
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, length);
        CharBuffer chars = CharBuffer.allocate(length);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CoderResult status = decoder.decode(in, chars, true);
        if (status.isError()) {
            throw new LlamaException(source + ": invalid UTF-8 at byte " + (in.position() + 1)
                    + " (0x" + HexFormat.of().toHexDigits(bytes[in.position()]) + ")");
        }
        decoder.flush(chars);
        return chars.flip().toString();
    }

    /** The first bad byte's message (as {@link #decode}), or null when {@code bytes} are valid UTF-8. */
    static String problem(byte[] bytes, String source) {
        try {
            decode(bytes, bytes.length, source);
            return null;
        } catch (LlamaException e) {
            return e.getMessage();
        }
    }

    /** A whole text file; the messages name the file. */
    static String readFile(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new LlamaException(file + ": is a folder, expected a UTF-8 text file");
        }
        byte[] bytes = Files.readAllBytes(file);
        return decode(bytes, bytes.length, file.toString());
    }

    /**
     * A JSON file given by option ({@code what}: "tools file", "dialogs file"), parsed; a folder, a missing file or
     * invalid JSON is a one-line error naming it.
     */
    static com.fasterxml.jackson.databind.JsonNode readJsonFile(Path file, String what) throws IOException {
        if (Files.isDirectory(file)) {
            throw new LlamaException(what + " " + file + " is a folder, expected a JSON file");
        }
        if (!Files.isRegularFile(file)) {
            throw new LlamaException(what + " " + file + " does not exist");
        }
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(readFile(file));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new LlamaException(file + ": invalid JSON: " + e.getOriginalMessage());
        }
    }

    /** Reads lines of UTF-8 text ({@code \n} or {@code \r\n} ends one); a bad line is reported as "stdin line N". */
    static final class LineReader {
        private final InputStream in;
        private final String name;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private int lineNumber;

        LineReader(InputStream in, String name) {
            this.in = in;
            this.name = name;
        }

        /**
         * The next line without its end, or null at the end of the input; a line that is not valid UTF-8 throws
         * (after it is consumed, so the next call reads the line after it).
         */
        String readLine() throws IOException {
            line.reset();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
            if (b < 0 && line.size() == 0) {
                return null;
            }
            lineNumber++;
            byte[] bytes = line.toByteArray();
            int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
            return decode(bytes, length, name + " line " + lineNumber);
        }
    }
}
