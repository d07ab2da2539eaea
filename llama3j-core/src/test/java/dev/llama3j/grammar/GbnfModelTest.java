package dev.llama3j.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.api.GenerateOptions;
import dev.llama3j.api.GenerationResult;
import dev.llama3j.api.LlamaModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A random-weight model with the real Llama 3 vocabulary (the tiny GGUF fixture), which writes none of these
 * languages alone, answering under each grammar of {@link GbnfPropertyTest}: an answer that stops is one its
 * oracle accepts whole (it ended only where the grammar may end), one cut by the token limit is a start of one.
 */
class GbnfModelTest {
    static LlamaModel model;

    @BeforeAll
    static void load() {
        model = LlamaModel.load(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"),
                LlamaModel.Options.defaults().withContextLength(256).withParallel(2));
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void answersFollowTheGrammarAndStopOnlyWhereItEnds() {
        checkAnswers(1, 1);
    }

    @Test
    @Tag("slow")
    void moreAnswersFollowTheGrammarAndStopOnlyWhereItEnds() {
        checkAnswers(2, 5);
    }

    /** An answer per case and seed in {@code fromSeed..toSeed}; at least half of them stop. */
    private static void checkAnswers(long fromSeed, long toSeed) {
        int stopped = 0;
        int answers = 0;
        for (GbnfPropertyTest.Case c : GbnfPropertyTest.CASES) {
            GbnfGrammar g = GbnfGrammar.compile(c.gbnf());
            for (long seed = fromSeed; seed <= toSeed; seed++) {
                GenerationResult r = model.complete("Answer:", GenerateOptions.defaults().withTemperature(1)
                        .withSeed(seed).withMaxTokens(60).withGrammar(c.gbnf()));
                answers++;
                if (r.finish() == GenerationResult.Finish.STOP) {
                    stopped++;
                    assertThat(c.oracle().test(r.text())).as("%s accepts %s", c.gbnf(), r.text()).isTrue();
                    assertThat(g.matches(r.text())).isTrue();
                } else {
                    assertThat(r.finish()).isEqualTo(GenerationResult.Finish.LENGTH);
                    // a cut inside a character leaves a replacement character at the end
                    String text = r.text().endsWith("\uFFFD") ? r.text().substring(0, r.text().length() - 1) : r.text();
                    assertThat(g.start().accept(text)).as("%s begins %s", c.gbnf(), text).isNotNull();
                }
            }
        }
        assertThat(stopped).as("answers that stopped").isGreaterThanOrEqualTo(answers / 2);
    }

    @Test
    void aGrammarThatDoesNotCompileIsRefusedAtOnce() {
        assertThatThrownBy(() -> GenerateOptions.defaults().withGrammar("root ::= item"))
                .isInstanceOf(LlamaException.class).hasMessage("the grammar: line 1, column 10: rule item is not "
                        + "defined");
        assertThatThrownBy(() -> GenerateOptions.defaults().withJsonSchema("{}").withGrammar("root ::= \"a\""))
                .isInstanceOf(LlamaException.class).hasMessage("a JSON Schema and a grammar are exclusive: give one");
    }
}
