package dev.llama3j.guard;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every shape of answer: the two the prompt asks for (after the blank line the models write first), and others. */
class GuardVerdictTest {

    @Test
    void safeAndUnsafeWithCodes() {
        GuardVerdict safe = GuardVerdict.parse("\n\nsafe", 0.01);
        assertThat(safe.safe()).isTrue();
        assertThat(safe.wellFormed()).isTrue();
        assertThat(safe.unsafeScore()).isEqualTo(0.01);
        GuardVerdict unsafe = GuardVerdict.parse("\n\nunsafe\nS1,S10", 0.98);
        assertThat(unsafe.safe()).isFalse();
        assertThat(unsafe.categories()).containsExactly("S1", "S10");
        assertThat(unsafe.wellFormed()).isTrue();
        assertThat(GuardVerdict.parse("unsafe\nS2, S3\n", 0.9).categories()).containsExactly("S2", "S3");
    }

    @Test
    void anythingElseIsUnsafeAndFlagged() {
        for (String answer : List.of("", "   ", "maybe", "Safe", "unsafe", "unsafe\nviolence", "safe\nbut also",
                "unsafe\nS1\nmore")) {
            GuardVerdict v = GuardVerdict.parse(answer, 0);
            assertThat(v.wellFormed()).as("'%s'", answer).isFalse();
            assertThat(v.safe()).as("'%s'", answer).isFalse();
            assertThat(v.categories()).as("'%s'", answer).isEmpty();
        }
    }
}
