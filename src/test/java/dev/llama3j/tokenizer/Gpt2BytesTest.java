package dev.llama3j.tokenizer;

import org.junit.jupiter.api.Test;

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
        assertThat(Gpt2Bytes.decode(Gpt2Bytes.encode(all))).isEqualTo(all);
        assertThat(Gpt2Bytes.decode("a\u4e2d")).isNull();
    }
}
