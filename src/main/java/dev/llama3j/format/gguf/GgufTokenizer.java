package dev.llama3j.format.gguf;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.Tokenizer;
import dev.llama3j.tokenizer.vocab.GgufTokenizerData;

/**
 * The {@code tokenizer.*} keys of a GGUF file (llama.cpp's names): reads them into a tokenizer. A GGUF writer
 * takes the key names from here and the values from {@link GgufTokenizerData#fromTokenizer}.
 */
public final class GgufTokenizer {
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

    private GgufTokenizer() {}

    /** True when the file carries a tokenizer ({@code tokenizer.ggml.model} present and not "none"). */
    public static boolean present(GgufMetadata meta) {
        return meta.has(MODEL) && !MODEL_NONE.equals(meta.getString(MODEL));
    }

    /**
     * The tokenizer arrays of a file that has one (see {@link #present}), unchecked: {@link
     * GgufTokenizerData#toTokenizer} checks them.
     *
     * @param source the file name, for messages
     */
    public static GgufTokenizerData read(GgufMetadata meta, String source) {
        requirePresent(meta, source);
        return new GgufTokenizerData(
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
    public static Tokenizer load(GgufMetadata meta, String source) {
        requirePresent(meta, source);
        return GgufTokenizerData.toTokenizer(source,
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

    private static void requirePresent(GgufMetadata meta, String source) {
        if (!present(meta)) {
            throw new LlamaException(source + " has no tokenizer (" + MODEL + " is "
                    + (meta.has(MODEL) ? "'" + meta.getString(MODEL) + "'" : "missing") + "): give --tokenizer-path");
        }
    }
}
