package dev.llama3j.tokenizer.vocab;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.LlamaException;
import dev.llama3j.chat.ChatFormat;
import dev.llama3j.chat.DialogJson;
import dev.llama3j.chat.ToolPromptFormat;
import dev.llama3j.tokenizer.SpecialTokenSet;
import dev.llama3j.tokenizer.Tokenizer;
import dev.llama3j.tokenizer.TokenizerCasesTest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static dev.llama3j.tokenizer.GroundTruth.cases;
import static dev.llama3j.tokenizer.GroundTruth.describe;
import static dev.llama3j.tokenizer.GroundTruth.ints;

/**
 * Runs every reference case of ../shared/llama3 (encode, allowed special, decode, both chat formats) through
 * a tokenizer built some other way than from tokenizer.model, collecting the mismatches.
 */
final class AllCases {
    private AllCases() {}

    /** Cases checked and the ones that failed. */
    record Result(int checked, List<String> failures) {}

    static Result run(Tokenizer t) {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (JsonNode c : cases("tokenizer-cases.jsonl")) {
            checked++;
            int[] ids = t.encode(c.get("text").textValue(), c.get("bos").booleanValue(), c.get("eos").booleanValue());
            expect(failures, c, ids, ints(c.get("ids")));
        }
        for (JsonNode c : cases("tokenizer-cases-allowed-special.jsonl")) {
            checked++;
            SpecialTokenSet allowed = TokenizerCasesTest.specialSet(c.get("allowed_special"));
            SpecialTokenSet disallowed = TokenizerCasesTest.specialSet(c.get("disallowed_special"));
            String text = c.get("text").textValue();
            boolean bos = c.get("bos").booleanValue();
            boolean eos = c.get("eos").booleanValue();
            if (c.hasNonNull("error")) {
                try {
                    t.encode(text, bos, eos, allowed, disallowed);
                    failures.add(describe(c) + "\n   expected an error");
                } catch (LlamaException expected) {
                    // the reference raises too
                }
            } else {
                expect(failures, c, t.encode(text, bos, eos, allowed, disallowed), ints(c.get("ids")));
            }
        }
        HexFormat hex = HexFormat.of();
        for (JsonNode c : cases("decode-cases.jsonl")) {
            checked++;
            int[] ids = ints(c.get("ids"));
            if (!hex.formatHex(t.decodeBytes(ids)).equals(c.get("bytes_hex").textValue())
                    || !t.decode(ids).equals(c.get("text").textValue())) {
                failures.add(describe(c) + "\n   decoded " + hex.formatHex(t.decodeBytes(ids)));
            }
        }
        ChatFormat llama3 = ChatFormat.llama3(t);
        for (JsonNode c : cases("chat-cases.jsonl")) {
            checked++;
            expect(failures, c, llama3.encodeDialogPrompt(DialogJson.parse(c.get("dialog"))), ints(c.get("ids")));
        }
        for (JsonNode c : cases("chat-cases-llama-models.jsonl")) {
            checked++;
            ToolPromptFormat tools = c.hasNonNull("tool_prompt_format")
                    ? ToolPromptFormat.fromJsonName(c.get("tool_prompt_format").textValue()) : ToolPromptFormat.JSON;
            ChatFormat format = ChatFormat.forName(c.get("format").textValue(), t, tools);
            expect(failures, c, format.encodeDialogPrompt(DialogJson.parse(c.get("dialog"))), ints(c.get("ids")));
        }
        return new Result(checked, failures);
    }

    private static void expect(List<String> failures, JsonNode c, int[] got, int[] expected) {
        if (!Arrays.equals(got, expected)) {
            failures.add(describe(c) + "\n   got " + Arrays.toString(got));
        }
    }
}
