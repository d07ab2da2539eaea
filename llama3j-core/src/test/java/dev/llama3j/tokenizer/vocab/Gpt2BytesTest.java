package dev.llama3j.tokenizer.vocab;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

class Gpt2BytesTest {
    @Test
    void printableBytesStandForThemselvesAndTheRestShiftAboveU0100() {
        // space (0x20) is the 33rd non-printable byte (0x00..0x20) -> U+0120 'Ġ'; newline 0x0A -> U+010A 'Ċ';
        // 0xAD (soft hyphen) comes after 0x00..0x20 and 0x7F..0xA0 (33 + 34 = 67 bytes) -> U+0143 'Ń'.
        assertThat(Gpt2Bytes.encode(new byte[] {' ', 'a', '\n', (byte) 0xAD, (byte) 0xFF})).isEqualTo("Ġa\u010a\u0143ÿ");
    }

    @Test
    void everyByteRoundTripsAndForeignCharactersAreRejected() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        assertThat(decode(Gpt2Bytes.encode(all))).isEqualTo(all);
        assertThat(decode("a\u4e2d")).isNull();
        assertThat(decode("\u0200")).as("first character past the mapping").isNull();
        assertThat(decode("\ufffd")).isNull();
    }

    @Test
    void malformedOrOverlongUtf8IsNotAByteLevelToken() {
        byte[] out = new byte[4];
        // 0xC1 0x81 is an overlong 'A', 0xC3 alone is a truncated 'Ã', 0xC3 0x41 lacks its continuation byte
        for (byte[] bad : new byte[][] {{(byte) 0xC1, (byte) 0x81}, {(byte) 0xC3}, {(byte) 0xC3, 0x41}, {(byte) 0x80}}) {
            assertThat(Gpt2Bytes.decodeUtf8(bad, 0, bad.length, out, 0)).isEqualTo(-1);
        }
        byte[] ok = "x\u0120\u00ff".getBytes(StandardCharsets.UTF_8);
        assertThat(Gpt2Bytes.decodeUtf8(ok, 0, ok.length, out, 1)).isEqualTo(4);
        assertThat(out).containsExactly(0, 'x', ' ', 0xFF);
    }

    /** GPT-2 text back to bytes through its UTF-8, or null when it is not byte-level. */
    private static byte[] decode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[utf8.length];
        int n = Gpt2Bytes.decodeUtf8(utf8, 0, utf8.length, out, 0);
        return n < 0 ? null : Arrays.copyOf(out, n);
    }
}
