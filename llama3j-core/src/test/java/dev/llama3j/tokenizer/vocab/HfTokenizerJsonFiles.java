package dev.llama3j.tokenizer.vocab;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.tokenizer.PreTokenizer;
import dev.llama3j.tokenizer.Tokenizer;

/**
 * Writes a tokenizer.json in the shape of Meta's Llama 3 one on Hugging Face (model BPE with ignore_merges,
 * added_tokens for the specials, Split + ByteLevel pre-tokenizer), from the GGUF export of a tokenizer.
 */
public final class HfTokenizerJsonFiles {
    private HfTokenizerJsonFiles() {}

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** @param pairMerges write merges as [a, b] pairs (newer tokenizers) instead of "a b" strings */
    public static ObjectNode llama3(Tokenizer tokenizer, boolean pairMerges) {
        GgufTokenizer data = GgufTokenizer.fromTokenizer(tokenizer, false);
        int base = tokenizer.baseVocabSize();
        ObjectNode root = F.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = base; id < data.tokens().length; id++) {
            added.addObject().put("id", id).put("content", data.tokens()[id]).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", preTokenizer(PreTokenizer.PATTERN));
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "Sequence");
        post.putArray("processors").addObject().put("type", "ByteLevel").put("add_prefix_space", true)
                .put("trim_offsets", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false)
                .put("ignore_merges", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < base; id++) {
            vocab.put(data.tokens()[id], id);
        }
        ArrayNode merges = model.putArray("merges");
        for (String m : data.merges()) {
            if (pairMerges) {
                int space = m.indexOf(' ');
                merges.addArray().add(m.substring(0, space)).add(m.substring(space + 1));
            } else {
                merges.add(m);
            }
        }
        return root;
    }

    static ObjectNode preTokenizer(String regex) {
        ObjectNode pre = F.objectNode();
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated").put("invert", false);
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", false);
        return pre;
    }
}
