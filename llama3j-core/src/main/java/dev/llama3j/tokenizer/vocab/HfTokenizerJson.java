package dev.llama3j.tokenizer.vocab;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.BoundedJson;
import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.PreTokenizer;
import dev.llama3j.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a Hugging Face {@code tokenizer.json} of the Llama 3 kind: a byte-level BPE model ({@code model.vocab}
 * in GPT-2 characters, {@code model.merges} as "a b" strings or [a, b] pairs, {@code ignore_merges: true},
 * i.e. whole-piece lookup first as in tiktoken), {@code added_tokens} for the special tokens, and the Llama 3
 * Split pre-tokenizer followed by a ByteLevel step without its own regex. Anything else is refused, because
 * llama3j would tokenize it differently from the file's own library.
 */
public final class HfTokenizerJson {
    /** Llama 3's tokenizer.json is about 9 MB. */
    static final long MAX_BYTES = 64L << 20;
    public static final String FILE_NAME = "tokenizer.json";
    public static final String CONFIG_FILE_NAME = "tokenizer_config.json";

    private final String file;

    private HfTokenizerJson(Path file) {
        this.file = file.toString();
    }

    /** The tokenizer of {@code tokenizer.json}; a file of another kind is a {@link LlamaException}. */
    public static Tokenizer load(Path tokenizerJson) {
        return new HfTokenizerJson(tokenizerJson).build(read(tokenizerJson));
    }

    /**
     * The stop token that {@code tokenizer_config.json} next to {@code tokenizerJson} names as its
     * {@code eos_token} (a string or an object with "content"), or null when there is none.
     */
    public static Integer configEosToken(Path tokenizerJson, Tokenizer tokenizer) {
        Path config = tokenizerJson.resolveSibling(CONFIG_FILE_NAME);
        if (!Files.isRegularFile(config)) {
            return null;
        }
        JsonNode eos = read(config).get("eos_token");
        if (eos != null && eos.isObject()) {
            eos = eos.get("content");
        }
        if (eos == null || eos.isNull()) {
            return null;
        }
        if (!eos.isTextual() || !tokenizer.specialTokens().contains(eos.textValue())) {
            throw new LlamaException(config + ": eos_token " + shown(eos.toString()) + " is not a special token of "
                    + tokenizerJson.getFileName());
        }
        return tokenizer.specialTokenId(eos.textValue());
    }

    /**
     * The chat template that {@code tokenizer_config.json} next to {@code tokenizerJson} gives: its
     * {@code chat_template} string, or from a list of {@code {"name", "template"}} the one named "default";
     * null when there is none.
     */
    public static String configChatTemplate(Path tokenizerJson) {
        Path config = tokenizerJson.resolveSibling(CONFIG_FILE_NAME);
        if (!Files.isRegularFile(config)) {
            return null;
        }
        JsonNode template = read(config).get("chat_template");
        if (template == null || template.isNull()) {
            return null;
        }
        if (template.isTextual()) {
            return template.textValue();
        }
        if (template.isArray()) {
            for (JsonNode t : template) {
                if ("default".equals(text(t.get("name"))) && text(t.get("template")) != null) {
                    return t.get("template").textValue();
                }
            }
            return null;
        }
        throw new LlamaException(config + ": chat_template is " + shown(template.toString())
                + ", expected a string or a list of {\"name\", \"template\"}");
    }

    private Tokenizer build(JsonNode root) {
        if (root.hasNonNull("normalizer")) {
            throw error("normalizer", "is " + shown(root.get("normalizer").toString()) + ", expected null (Llama 3"
                    + " does not normalize)");
        }
        checkPreTokenizer(root.get("pre_tokenizer"));
        JsonNode model = object(root, "model", "model");
        expectText(model, "type", "model.type", "BPE");
        JsonNode ignoreMerges = model.get("ignore_merges");
        if (ignoreMerges == null || !ignoreMerges.isBoolean() || !ignoreMerges.booleanValue()) {
            throw error("model.ignore_merges", "is " + ignoreMerges + ", expected true (Llama 3 looks up a whole"
                    + " piece before merging, as tiktoken does)");
        }
        Map<Integer, String> added = addedTokens(root.get("added_tokens"));
        String[] base = baseTokens(object(model, "vocab", "model.vocab"), added);
        int next = base.length;
        List<String> specials = new ArrayList<>();
        for (Map.Entry<Integer, String> e : added.entrySet()) {
            if (e.getKey() != next++) {
                throw error("added_tokens", "has id " + e.getKey() + " where " + (next - 1) + " was expected: the"
                        + " special tokens must follow the " + base.length + " base tokens without gaps");
            }
            specials.add(e.getValue());
        }
        return ByteLevelVocabulary.build(base, id -> file + ": model.vocab entry for id " + id,
                merges(model.get("merges")), file + ": model.merges", specials, file + ": added_tokens");
    }

    /** Sequence[Split(Meta's regex, Isolated), ByteLevel(use_regex false)]. */
    private void checkPreTokenizer(JsonNode pre) {
        String expected = "a Sequence of Split (Llama 3's regex, behavior Isolated) and ByteLevel (use_regex false)";
        if (pre == null || !"Sequence".equals(text(pre.get("type")))) {
            throw error("pre_tokenizer", "is " + shown(String.valueOf(pre)) + ", expected " + expected);
        }
        JsonNode steps = pre.get("pretokenizers");
        if (steps == null || !steps.isArray() || steps.size() != 2) {
            throw error("pre_tokenizer.pretokenizers", "is " + shown(String.valueOf(steps)) + ", expected " + expected);
        }
        JsonNode split = steps.get(0);
        JsonNode pattern = split.get("pattern");
        String regex = pattern == null ? null : text(pattern.get("Regex"));
        if (!"Split".equals(text(split.get("type"))) || !PreTokenizer.PATTERN.equals(regex)) {
            throw error("pre_tokenizer.pretokenizers[0]", "is " + shown(split.toString()) + ", expected a Split"
                    + " with Llama 3's regex " + PreTokenizer.PATTERN);
        }
        if (!"Isolated".equals(text(split.get("behavior"))) || split.path("invert").asBoolean(false)) {
            throw error("pre_tokenizer.pretokenizers[0]", "splits with behavior " + split.get("behavior")
                    + ", invert " + split.get("invert") + ", expected behavior Isolated, invert false");
        }
        JsonNode byteLevel = steps.get(1);
        if (!"ByteLevel".equals(text(byteLevel.get("type"))) || byteLevel.path("use_regex").asBoolean(true)
                || byteLevel.path("add_prefix_space").asBoolean(false)) {
            throw error("pre_tokenizer.pretokenizers[1]", "is " + shown(byteLevel.toString())
                    + ", expected ByteLevel with use_regex false and add_prefix_space false");
        }
    }

    /** added_tokens by id: every one is a special token of llama3j (Llama 3 adds only specials). */
    private Map<Integer, String> addedTokens(JsonNode added) {
        Map<Integer, String> out = new TreeMap<>();
        if (added == null || added.isNull()) {
            return out;
        }
        if (!added.isArray()) {
            throw error("added_tokens", "is " + shown(added.toString()) + ", expected a list");
        }
        for (int i = 0; i < added.size(); i++) {
            JsonNode t = added.get(i);
            JsonNode id = t.get("id");
            String content = text(t.get("content"));
            if (id == null || !id.canConvertToInt() || !id.isIntegralNumber() || id.intValue() < 0 || content == null) {
                throw error("added_tokens[" + i + "]", "is " + shown(t.toString())
                        + ", expected {\"id\": a non-negative integer, \"content\": a string, ...}");
            }
            if (out.put(id.intValue(), content) != null) {
                throw error("added_tokens[" + i + "]", "repeats id " + id.intValue());
            }
        }
        return out;
    }

    /**
     * The base tokens by id: every vocab entry that is not an added token (some files list those in the vocab
     * too, under the same name). The ids must be exactly 0..n-1.
     */
    private String[] baseTokens(JsonNode vocab, Map<Integer, String> added) {
        int n = 0;
        for (Iterator<JsonNode> it = vocab.elements(); it.hasNext(); ) {
            JsonNode id = it.next();
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
                throw error("model.vocab", "has the id " + shown(id.toString()) + ", expected non-negative integers");
            }
            if (!added.containsKey(id.intValue())) {
                n++;
            }
        }
        String[] base = new String[n];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().intValue();
            String special = added.get(id);
            if (special != null) {
                if (!special.equals(e.getKey())) {
                    throw error("model.vocab", "gives id " + id + " to '" + shown(e.getKey())
                            + "' but added_tokens to '" + shown(special) + "'");
                }
                continue;
            }
            if (id >= n || base[id] != null) {
                throw error("model.vocab", "ids are not 0.." + (n - 1) + " (each once): '" + shown(e.getKey())
                        + "' has id " + id);
            }
            base[id] = e.getKey();
        }
        return base;
    }

    /** "a b" strings or [a, b] pairs, as "a b". */
    private String[] merges(JsonNode merges) {
        if (merges == null || !merges.isArray()) {
            throw error("model.merges", "is " + shown(String.valueOf(merges)) + ", expected a list");
        }
        String[] out = new String[merges.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode m = merges.get(i);
            if (m.isTextual()) {
                out[i] = m.textValue();
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                out[i] = m.get(0).textValue() + " " + m.get(1).textValue();
            } else {
                throw error("model.merges[" + i + "]", "is " + shown(m.toString())
                        + ", expected \"a b\" or [\"a\", \"b\"]");
            }
        }
        return out;
    }

    private JsonNode object(JsonNode parent, String field, String path) {
        JsonNode v = parent.get(field);
        if (v == null || !v.isObject()) {
            throw error(path, "is " + shown(String.valueOf(v)) + ", expected a JSON object");
        }
        return v;
    }

    private void expectText(JsonNode parent, String field, String path, String expected) {
        String v = text(parent.get(field));
        if (!expected.equals(v)) {
            throw error(path, "is " + shown(String.valueOf(parent.get(field))) + ", expected \"" + expected + "\"");
        }
    }

    private static String text(JsonNode v) {
        return v != null && v.isTextual() ? v.textValue() : null;
    }

    private LlamaException error(String field, String what) {
        return new LlamaException(file + ": " + field + " " + what);
    }

    private static JsonNode read(Path file) {
        return BoundedJson.readObject(file, MAX_BYTES, "a tokenizer file");
    }

    private static String shown(String s) {
        String cut = s.length() > 120 ? s.substring(0, 120) + "..." : s;
        return cut.replaceAll("\\s+", " ");
    }
}
