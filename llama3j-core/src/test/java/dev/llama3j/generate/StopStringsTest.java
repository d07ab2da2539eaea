package dev.llama3j.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Stop strings over streamed pieces: nothing from the stop string on is sent, and nothing before it is held back. */
class StopStringsTest {
    @Test
    void textBeforeAStopSplitAcrossPiecesIsSentAndTheRestIsNot() {
        StopStrings s = new StopStrings(List.of("END", "\n\n"));
        assertThat(s.push("Hello E")).isEqualTo("Hello ");   // "E" may begin "END"
        assertThat(s.push("N")).isEmpty();
        assertThat(s.push("Dless")).isEmpty();
        assertThat(s.stopped()).isTrue();
        assertThat(s.push("more")).isEmpty();
        assertThat(s.flush()).isEmpty();
    }

    @Test
    void aPrefixThatDoesNotGoOnIsReleased() {
        StopStrings s = new StopStrings(List.of("END"));
        assertThat(s.push("wE")).isEqualTo("w");
        assertThat(s.push("Nx")).isEqualTo("ENx");
        assertThat(s.push("EN")).isEmpty();
        assertThat(s.stopped()).isFalse();
        assertThat(s.flush()).isEqualTo("EN");
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        StopStrings s = new StopStrings(List.of("c", "ab"));
        assertThat(s.push("xxabc")).isEqualTo("xx");
        assertThat(s.stopped()).isTrue();
    }

    @Test
    void withoutStopsEverythingPassesAtOnce() {
        StopStrings s = new StopStrings(List.of());
        assertThat(s.push("any text")).isEqualTo("any text");
        assertThat(s.flush()).isEmpty();
    }
}
