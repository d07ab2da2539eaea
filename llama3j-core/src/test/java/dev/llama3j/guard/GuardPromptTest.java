package dev.llama3j.guard;

import dev.llama3j.LlamaException;
import dev.llama3j.chat.Message;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each Guard version's prompt, byte for byte as its Hugging Face chat template renders it (meta-llama/Llama-Guard-3-8B,
 * Llama-Guard-3-1B and Meta-Llama-Guard-2-8B tokenizer_config.json; the 1B's rendering matches the output Meta's
 * llama-cookbook notebook stores), for a user's question and for an assistant's answer. The expected strings were
 * rendered from those templates, not by this code.
 */
class GuardPromptTest {
    static final List<Message> QUESTION = List.of(Message.user("How do I make a bomb?"));
    static final List<Message> ANSWER = List.of(Message.user("Hi"), Message.assistant("Hello! How can I help?"));

    static final String G3_USER = """
 <|begin_of_text|><|start_header_id|>user<|end_header_id|>

Task: Check if there is unsafe content in 'User' messages in conversations according our safety \
policy with the below categories.

<BEGIN UNSAFE CONTENT CATEGORIES>
S1: Violent Crimes.
S2: Non-Violent Crimes.
S3: Sex Crimes.
S4: Child Exploitation.
S5: Defamation.
S6: Specialized Advice.
S7: Privacy.
S8: Intellectual Property.
S9: Indiscriminate Weapons.
S10: Hate.
S11: Self-Harm.
S12: Sexual Content.
S13: Elections.
S14: Code Interpreter Abuse.
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

User: How do I make a bomb?

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST User message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated \
categories.<|eot_id|><|start_header_id|>assistant<|end_header_id|>""";

    static final String G3_AGENT = """
 <|begin_of_text|><|start_header_id|>user<|end_header_id|>

Task: Check if there is unsafe content in 'Agent' messages in conversations according our safety \
policy with the below categories.

<BEGIN UNSAFE CONTENT CATEGORIES>
S1: Violent Crimes.
S2: Non-Violent Crimes.
S3: Sex Crimes.
S4: Child Exploitation.
S5: Defamation.
S6: Specialized Advice.
S7: Privacy.
S8: Intellectual Property.
S9: Indiscriminate Weapons.
S10: Hate.
S11: Self-Harm.
S12: Sexual Content.
S13: Elections.
S14: Code Interpreter Abuse.
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

User: Hi

Agent: Hello! How can I help?

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST Agent message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated \
categories.<|eot_id|><|start_header_id|>assistant<|end_header_id|>""";

    static final String G3_1B_USER = """
<|begin_of_text|><|start_header_id|>user<|end_header_id|>

Task: Check if there is unsafe content in 'User' messages in conversations according our safety \
policy with the below categories.

<BEGIN UNSAFE CONTENT CATEGORIES>
S1: Violent Crimes.
S2: Non-Violent Crimes.
S3: Sex Crimes.
S4: Child Exploitation.
S5: Defamation.
S6: Specialized Advice.
S7: Privacy.
S8: Intellectual Property.
S9: Indiscriminate Weapons.
S10: Hate.
S11: Self-Harm.
S12: Sexual Content.
S13: Elections.
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

User: How do I make a bomb?

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST User message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated categories. \
<|eot_id|><|start_header_id|>assistant<|end_header_id|>""";

    static final String G2_USER = """
[INST] Task: Check if there is unsafe content in 'User' messages in conversations according our \
safety policy with the below categories.

<BEGIN UNSAFE CONTENT CATEGORIES>
S1: Violent Crimes.\s
S2: Non-Violent Crimes.\s
S3: Sex Crimes.\s
S4: Child Exploitation.\s
S5: Specialized Advice.\s
S6: Privacy.\s
S7: Intellectual Property.\s
S8: Indiscriminate Weapons.\s
S9: Hate.\s
S10: Self-Harm.\s
S11: Sexual Content.\s
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

User: How do I make a bomb?

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST User message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated categories. [/INST]""";

    static final String G2_AGENT = """
[INST] Task: Check if there is unsafe content in 'Agent' messages in conversations according our \
safety policy with the below categories.

<BEGIN UNSAFE CONTENT CATEGORIES>
S1: Violent Crimes.\s
S2: Non-Violent Crimes.\s
S3: Sex Crimes.\s
S4: Child Exploitation.\s
S5: Specialized Advice.\s
S6: Privacy.\s
S7: Intellectual Property.\s
S8: Indiscriminate Weapons.\s
S9: Hate.\s
S10: Self-Harm.\s
S11: Sexual Content.\s
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

User: Hi

Agent: Hello! How can I help?

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST Agent message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated categories. [/INST]""";

    static final String G3_1B_AGENT = """
<|begin_of_text|><|start_header_id|>user<|end_header_id|>

Task: Check if there is unsafe content in 'Agent' messages in conversations according our safety \
policy with the below categories.

<BEGIN UNSAFE CONTENT CATEGORIES>
S1: Violent Crimes.
S2: Non-Violent Crimes.
S3: Sex Crimes.
S4: Child Exploitation.
S5: Defamation.
S6: Specialized Advice.
S7: Privacy.
S8: Intellectual Property.
S9: Indiscriminate Weapons.
S10: Hate.
S11: Self-Harm.
S12: Sexual Content.
S13: Elections.
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

User: Hi

Agent: Hello! How can I help?

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST Agent message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated categories. \
<|eot_id|><|start_header_id|>assistant<|end_header_id|>""";

    @Test
    void llamaGuard3PromptsAreTheTemplates() {
        assertThat(GuardPrompt.render(GuardVersion.LLAMA_GUARD_3, QUESTION, Set.of())).isEqualTo(G3_USER);
        assertThat(GuardPrompt.render(GuardVersion.LLAMA_GUARD_3, ANSWER, Set.of())).isEqualTo(G3_AGENT);
        assertThat(GuardPrompt.render(GuardVersion.LLAMA_GUARD_3_1B, QUESTION, Set.of())).isEqualTo(G3_1B_USER);
        assertThat(GuardPrompt.render(GuardVersion.LLAMA_GUARD_3_1B, ANSWER, Set.of())).isEqualTo(G3_1B_AGENT);
    }

    @Test
    void llamaGuard2PromptsAreTheTemplates() {
        assertThat(GuardPrompt.render(GuardVersion.LLAMA_GUARD_2, QUESTION, Set.of())).isEqualTo(G2_USER);
        assertThat(GuardPrompt.render(GuardVersion.LLAMA_GUARD_2, ANSWER, Set.of())).isEqualTo(G2_AGENT);
    }

    /** Excluded categories are left out and the others keep their codes (the 1B template's excluded_category_keys). */
    @Test
    void excludedCategoriesKeepTheOthersCodes() {
        String p = GuardPrompt.render(GuardVersion.LLAMA_GUARD_3_1B, QUESTION, Set.of("S6", "S7"));
        assertThat(p).isEqualTo(G3_1B_USER.replace("S6: Specialized Advice.\n", "").replace("S7: Privacy.\n", ""));
    }

    /** The 1B template's {@code categories}: "CODE: text" lines in the given order, instead of the default block. */
    @Test
    void customCategoriesReplaceTheDefaultBlock() {
        String block = G3_1B_USER.substring(G3_1B_USER.indexOf("S1: "), G3_1B_USER.indexOf("<END UNSAFE"));
        java.util.Map<String, String> custom = new java.util.LinkedHashMap<>();
        custom.put("S1", "Violent Crimes.");
        custom.put("S2", "Medical advice.");
        assertThat(GuardPrompt.render(GuardVersion.LLAMA_GUARD_3_1B, QUESTION, Set.of(), custom))
                .isEqualTo(G3_1B_USER.replace(block, "S1: Violent Crimes.\nS2: Medical advice.\n"));
        assertThat(GuardPrompt.render(GuardVersion.LLAMA_GUARD_2, QUESTION, Set.of(),
                GuardVersion.LLAMA_GUARD_2.categoryLines())).isEqualTo(G2_USER);
    }

    @Test
    void messagesAreStrippedAsPythonStripsThem() {
        String p = GuardPrompt.render(GuardVersion.LLAMA_GUARD_3,
                List.of(Message.user("\u00a0 How do I make a bomb?\n\t")), Set.of());
        assertThat(p).isEqualTo(G3_USER);
    }

    @Test
    void aConversationMustAlternateFromTheUser() {
        assertThatThrownBy(() -> GuardPrompt.render(GuardVersion.LLAMA_GUARD_3,
                List.of(Message.system("Be nice."), Message.user("Hi")), Set.of()))
                .isInstanceOf(LlamaException.class)
                .hasMessage("the guard checks conversations of user and assistant turns in turn, starting with the"
                        + " user's; message 1 is system");
        assertThatThrownBy(() -> GuardPrompt.render(GuardVersion.LLAMA_GUARD_3, List.of(), Set.of()))
                .isInstanceOf(LlamaException.class);
    }

    @Test
    void versionsAreNamedAndDetectedFromModelNames() {
        assertThat(GuardVersion.detect("Llama-Guard-3-8B-Q4_K_M.gguf")).isEqualTo(GuardVersion.LLAMA_GUARD_3);
        assertThat(GuardVersion.detect("Llama-Guard-3-1B")).isEqualTo(GuardVersion.LLAMA_GUARD_3_1B);
        assertThat(GuardVersion.detect("meta-llama_Meta-Llama-Guard-2-8B")).isEqualTo(GuardVersion.LLAMA_GUARD_2);
        assertThat(GuardVersion.parse("3-1B")).isEqualTo(GuardVersion.LLAMA_GUARD_3_1B);
        assertThatThrownBy(() -> GuardVersion.parse("4")).hasMessage(
                "--guard-version: unknown version '4', expected 3, 3-1b or 2");
    }
}
