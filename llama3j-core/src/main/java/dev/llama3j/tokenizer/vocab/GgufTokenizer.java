package dev.llama3j.tokenizer.vocab;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A Llama 3 tokenizer as GGUF stores it ({@code tokenizer.ggml.*} and {@code tokenizer.chat_template}), the
 * way llama.cpp's converter writes it: base tokens as GPT-2 characters ({@link Gpt2Bytes}), special tokens by
 * name, token types, and the BPE merges Hugging Face derives from the tiktoken ranks.
 * {@link #fromTokenizer} makes the arrays for a GGUF writer (which takes the key names from here);
 * {@link #read} and {@link #load} read them from a file's metadata; {@link #toTokenizer} checks arrays read from
 * a file and builds the tokenizer, which encodes exactly as Meta's tokenizer.model does.
 *
 * @param model       {@code tokenizer.ggml.model}: "gpt2" (byte-level BPE)
 * @param pre         {@code tokenizer.ggml.pre}: "llama-bpe" (the Llama 3 pre-tokenizer)
 * @param tokens      {@code tokenizer.ggml.tokens}, by id
 * @param tokenTypes  {@code tokenizer.ggml.token_type}, by id ({@link #NORMAL}, {@link #CONTROL}, ...)
 * @param merges      {@code tokenizer.ggml.merges}: "left right" in GPT-2 characters
 * @param eotId       {@code tokenizer.ggml.eot_token_id}, or null when absent
 * @param eomId       {@code tokenizer.ggml.eom_token_id}, or null when absent (Llama 3.1+)
 * @param chatTemplate {@code tokenizer.chat_template}, or null when absent
 */
public record GgufTokenizer(String model, String pre, String[] tokens, int[] tokenTypes, String[] merges,
                            int bosId, int eosId, Integer eotId, Integer eomId, String chatTemplate) {
    /** The metadata keys (llama.cpp's names). */
    public static final String MODEL = "tokenizer.ggml.model";
    public static final String PRE = "tokenizer.ggml.pre";
    public static final String TOKENS = "tokenizer.ggml.tokens";
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String MERGES = "tokenizer.ggml.merges";
    public static final String BOS_ID = "tokenizer.ggml.bos_token_id";
    public static final String EOS_ID = "tokenizer.ggml.eos_token_id";
    public static final String EOT_ID = "tokenizer.ggml.eot_token_id";
    public static final String EOM_ID = "tokenizer.ggml.eom_token_id";
    public static final String CHAT_TEMPLATE = "tokenizer.chat_template";
    /** {@code tokenizer.ggml.model} of a file without a tokenizer (token ids only). */
    public static final String MODEL_NONE = "none";

    public static final String MODEL_GPT2 = "gpt2";
    public static final String PRE_LLAMA_BPE = "llama-bpe";
    /** llama.cpp's token types. */
    public static final int NORMAL = 1;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    private static final String EOM = "<|eom_id|>";

    /**
     * The Llama 3 Instruct chat template, as in Meta's tokenizer_config.json and llama.cpp's Llama 3 GGUFs
     * (llama3j formats chats itself; other tools read this).
     */
    public static final String LLAMA3_CHAT_TEMPLATE = "{% set loop_messages = messages %}"
            + "{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
            + "+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
            + "{{ content }}{% endfor %}"
            + "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}";

    /**
     * The GGUF arrays for a tokenizer loaded from tokenizer.model.
     *
     * @param llama31 write the Llama 3.1+ special-token names (eom_id, python_tag, ...) and eom_token_id
     */
    public static GgufTokenizer fromTokenizer(Tokenizer tokenizer, boolean llama31) {
        Tokenizer named = tokenizer.withNames(llama31 ? SpecialTokenNames.LLAMA_3_1 : SpecialTokenNames.LLAMA_3);
        return fromNamedTokenizer(named, named.eosId(), LLAMA3_CHAT_TEMPLATE);
    }

    /**
     * The GGUF arrays for a tokenizer with the special-token names it has (a tokenizer.json's own): eot_token_id
     * is {@code <|eot_id|>}, eom_token_id {@code <|eom_id|>} where the names have it.
     *
     * @param eosId        {@code tokenizer.ggml.eos_token_id}
     * @param chatTemplate {@code tokenizer.chat_template}, or null for none
     */
    public static GgufTokenizer fromNamedTokenizer(Tokenizer named, int eosId, String chatTemplate) {
        int base = named.baseVocabSize();
        String[] tokens = new String[named.vocabSize()];
        int[] types = new int[tokens.length];
        for (int id = 0; id < tokens.length; id++) {
            boolean special = id >= base;
            tokens[id] = special ? named.specialTokens().get(id - base) : Gpt2Bytes.encode(named.tokenBytes(id));
            types[id] = special ? CONTROL : NORMAL;
        }
        String[] merges = TiktokenMerges.asText(TiktokenMerges.derive(named.ranks()), tokens);
        Integer eom = named.specialTokens().contains(EOM) ? named.specialTokenId(EOM) : null;
        return new GgufTokenizer(MODEL_GPT2, PRE_LLAMA_BPE, tokens, types, merges, named.bosId(), eosId,
                named.eotId(), eom, chatTemplate);
    }

    /**
     * The metadata of a GGUF file as far as the tokenizer reads it, with the getters' checks and messages
     * (the GGUF reader's metadata implements it, so this package needs no GGUF parser).
     */
    public interface Metadata {
        boolean has(String key);

        String getString(String key);

        String getString(String key, String defaultValue);

        int getInt(String key);

        int[] getIntArray(String key);

        String[] getStringArray(String key);

        Utf8Strings getUtf8StringArray(String key);
    }

    /** True when the file carries a tokenizer ({@code tokenizer.ggml.model} present and not "none"). */
    public static boolean present(Metadata meta) {
        return meta.has(MODEL) && !MODEL_NONE.equals(meta.getString(MODEL));
    }

    /**
     * The tokenizer arrays of a file that has one (see {@link #present}), unchecked: {@link #toTokenizer}
     * checks them.
     *
     * @param source the file name, for messages
     */
    public static GgufTokenizer read(Metadata meta, String source) {
        requirePresent(meta, source);
        return new GgufTokenizer(
                meta.getString(MODEL),
                meta.getString(PRE, null),
                meta.getStringArray(TOKENS),
                meta.getIntArray(TOKEN_TYPE),
                meta.getStringArray(MERGES),
                meta.getInt(BOS_ID),
                meta.getInt(EOS_ID),
                meta.has(EOT_ID) ? meta.getInt(EOT_ID) : null,
                meta.has(EOM_ID) ? meta.getInt(EOM_ID) : null,
                meta.getString(CHAT_TEMPLATE, null));
    }

    /**
     * The checked tokenizer of a file that has one: as {@code read(meta, source).toTokenizer(source)}, but
     * reading tokens and merges as UTF-8, without a String of each.
     */
    public static Tokenizer load(Metadata meta, String source) {
        requirePresent(meta, source);
        return toTokenizer(source,
                meta.getString(MODEL),
                meta.getString(PRE, null),
                meta.getUtf8StringArray(TOKENS),
                meta.getIntArray(TOKEN_TYPE),
                meta.getUtf8StringArray(MERGES),
                meta.getInt(BOS_ID),
                meta.getInt(EOS_ID),
                meta.has(EOT_ID) ? meta.getInt(EOT_ID) : null,
                meta.has(EOM_ID) ? meta.getInt(EOM_ID) : null);
    }

    private static void requirePresent(Metadata meta, String source) {
        if (!present(meta)) {
            throw new LlamaException(source + " has no tokenizer (" + MODEL + " is "
                    + (meta.has(MODEL) ? "'" + meta.getString(MODEL) + "'" : "missing") + "): give --tokenizer-path");
        }
    }

    /**
     * Checks the arrays and builds the tokenizer: base tokens are the leading NORMAL tokens (their id is
     * their BPE rank, as in tiktoken), special tokens the CONTROL or USER_DEFINED ones after them.
     *
     * @param source the file, for messages
     * @throws LlamaException when the data is not a Llama 3 style byte-level BPE tokenizer
     */
    public Tokenizer toTokenizer(String source) {
        return toTokenizer(source, model, pre, utf8(tokens), tokenTypes, utf8(merges), bosId, eosId, eotId, eomId);
    }

    /**
     * {@link #toTokenizer(String)} for the arrays as a GGUF file stores them, read without a String per token
     * or merge (the other components as in the record).
     */
    public static Tokenizer toTokenizer(String source, String model, String pre, Utf8Strings tokens,
                                        int[] tokenTypes, Utf8Strings merges, int bosId, int eosId,
                                        Integer eotId, Integer eomId) {
        String key = source + ": tokenizer.ggml.";
        if (!MODEL_GPT2.equals(model)) {
            throw new LlamaException(key + "model '" + model + "' is not supported: llama3j supports Llama 3's '"
                    + MODEL_GPT2 + "' (byte-level BPE)");
        }
        if (pre == null) {
            throw new LlamaException(key + "pre is missing: llama3j supports Llama 3's '" + PRE_LLAMA_BPE + "'");
        }
        if (!PRE_LLAMA_BPE.equals(pre)) {
            throw new LlamaException(key + "pre '" + pre + "' is not supported: llama3j supports Llama 3's '"
                    + PRE_LLAMA_BPE + "'");
        }
        if (tokenTypes.length != tokens.size()) {
            throw new LlamaException(key + "token_type has " + tokenTypes.length + " entries but tokens has "
                    + tokens.size());
        }
        int base = 0;
        while (base < tokenTypes.length && tokenTypes[base] == NORMAL) {
            base++;
        }
        List<String> specials = new ArrayList<>(tokenTypes.length - base);
        for (int id = base; id < tokenTypes.length; id++) {
            if (tokenTypes[id] != CONTROL && tokenTypes[id] != USER_DEFINED) {
                throw new LlamaException(key + "token_type[" + id + "] = " + tokenTypes[id] + " after the special"
                        + " token " + (id - 1) + ": expected the base tokens (1, normal) first, then only special"
                        + " tokens (3, control, or 4, user-defined)");
            }
            specials.add(tokens.get(id));
        }
        Tokenizer tokenizer = ByteLevelVocabulary.build(tokens, base, id -> key + "tokens[" + id + "]",
                merges, key + "merges", specials, key + "tokens");
        checkId(key + "bos_token_id", bosId, tokenizer);
        if (bosId != tokenizer.bosId()) {
            throw new LlamaException(key + "bos_token_id = " + bosId + " but <|begin_of_text|> is token "
                    + tokenizer.bosId());
        }
        checkId(key + "eos_token_id", eosId, tokenizer);
        checkId(key + "eot_token_id", eotId, tokenizer);
        checkId(key + "eom_token_id", eomId, tokenizer);
        return tokenizer;
    }

    /**
     * The strings as UTF-8. A null element (a caller's array can have one, a file cannot) becomes "", which
     * the checks reject as a token, a special-token name or a merge.
     */
    private static Utf8Strings utf8(String[] strings) {
        String[] noNulls = strings.clone();
        for (int i = 0; i < noNulls.length; i++) {
            if (noNulls[i] == null) {
                noNulls[i] = "";
            }
        }
        return Utf8Strings.of(noNulls);
    }

    /** The ids the file says end generation: eos, eot and eom (those present). */
    public Set<Integer> stopTokenIds() {
        Set<Integer> ids = new LinkedHashSet<>(List.of(eosId));
        if (eotId != null) {
            ids.add(eotId);
        }
        if (eomId != null) {
            ids.add(eomId);
        }
        return ids;
    }

    /** An optional id from the file must be one of the vocabulary's. */
    private static void checkId(String key, Integer id, Tokenizer tokenizer) {
        if (id != null && (id < 0 || id >= tokenizer.vocabSize())) {
            throw new LlamaException(key + " = " + id + " is not a token id (expected 0.."
                    + (tokenizer.vocabSize() - 1) + ")");
        }
    }
}
