package dev.llama3j.generate;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class Utf8StreamTest {
    private final Utf8Stream stream = new Utf8Stream(b -> new String(b, StandardCharsets.UTF_8));

    @Test
    void holdsBackAnIncompleteCharacterUntilItCompletes() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8); // e2 82 ac
        assertThat(stream.push(new byte[] {'a', euro[0]})).isEqualTo("a");
        assertThat(stream.push(new byte[] {euro[1]})).isEmpty();
        assertThat(stream.push(new byte[] {euro[2], 'b'})).isEqualTo("€b");
    }

    @Test
    void fourByteCharacterSplitAcrossThreeTokens() {
        byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
        assertThat(stream.push(new byte[] {emoji[0]})).isEmpty();
        assertThat(stream.push(new byte[] {emoji[1], emoji[2]})).isEmpty();
        assertThat(stream.push(new byte[] {emoji[3]})).isEqualTo("😀");
    }

    @Test
    void invalidBytesAreNotHeldBackAndAnUnfinishedTailIsFlushed() {
        assertThat(stream.push(new byte[] {'x', (byte) 0xff})).isEqualTo("x\ufffd");
        assertThat(stream.push(new byte[] {(byte) 0xe2, (byte) 0x82})).isEmpty();
        assertThat(stream.flush()).isEqualTo("\ufffd");
    }
}
