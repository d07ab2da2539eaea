package dev.llama3j.convert;

import dev.llama3j.format.gguf.GgufArray;
import dev.llama3j.format.gguf.GgufType;
import dev.llama3j.format.gguf.GgufWriter;
import dev.llama3j.tokenizer.Tokenizer;
import dev.llama3j.tokenizer.vocab.GgufTokenizer;
import dev.llama3j.tokenizer.vocab.HfTokenizerJson;
import dev.llama3j.tokenizer.vocab.TiktokenFile;

import java.nio.file.Path;

/**
 * Where the convert and synth commands get a {@link GgufTokenizerSource}: a tiktoken {@code tokenizer.model} or a
 * Hugging Face {@code tokenizer.json}.
 */
public final class GgufTokenizers {
    private GgufTokenizers() {}

    /**
     * The tokenizer of {@code tokenizerModel} as llama.cpp's converter writes Llama 3's.
     *
     * @param llama31 Llama 3.1+ special-token names and {@code eom_token_id}
     */
    public static GgufTokenizerSource fromTokenizerModel(Path tokenizerModel, boolean llama31) {
        return source(GgufTokenizer.fromTokenizer(TiktokenFile.load(tokenizerModel), llama31));
    }

    /**
     * The tokenizer of a Hugging Face {@code tokenizer.json} as llama.cpp's convert_hf_to_gguf.py writes Llama 3's:
     * the file's tokens and special-token names; eos and the chat template from {@code tokenizer_config.json} when
     * it has them (else {@code <|end_of_text|>} and no template).
     */
    public static GgufTokenizerSource fromTokenizerJson(Path tokenizerJson) {
        Tokenizer tokenizer = HfTokenizerJson.load(tokenizerJson);
        Integer eos = HfTokenizerJson.configEosToken(tokenizerJson, tokenizer);
        return source(GgufTokenizer.fromNamedTokenizer(tokenizer, eos != null ? eos : tokenizer.eosId(),
                HfTokenizerJson.configChatTemplate(tokenizerJson)));
    }

    /** {@link #fromTokenizerJson} for a name ending in .json, else {@link #fromTokenizerModel}. */
    public static GgufTokenizerSource fromFile(Path file, boolean llama31) {
        return file.getFileName().toString().endsWith(".json") ? fromTokenizerJson(file)
                : fromTokenizerModel(file, llama31);
    }

    private static GgufTokenizerSource source(GgufTokenizer data) {
        return new GgufTokenizerSource() {
            @Override
            public int vocabSize() {
                return data.tokens().length;
            }

            /** Keys and value types in the order llama.cpp's gguf writer puts them (tiny-gguf-q8_0 shows it). */
            @Override
            public void putMetadata(GgufWriter w) {
                w.putString(GgufTokenizer.MODEL, data.model());
                w.putString(GgufTokenizer.PRE, data.pre());
                w.putArray(GgufTokenizer.TOKENS, new GgufArray(GgufType.STRING, data.tokens()));
                w.putArray(GgufTokenizer.TOKEN_TYPE, new GgufArray(GgufType.INT32, data.tokenTypes()));
                w.putArray(GgufTokenizer.MERGES, new GgufArray(GgufType.STRING, data.merges()));
                w.putUInt32(GgufTokenizer.BOS_ID, data.bosId());
                w.putUInt32(GgufTokenizer.EOS_ID, data.eosId());
                if (data.chatTemplate() != null) {
                    w.putString(GgufTokenizer.CHAT_TEMPLATE, data.chatTemplate());
                }
                if (data.eotId() != null) {
                    w.putUInt32(GgufTokenizer.EOT_ID, data.eotId());
                }
                if (data.eomId() != null) {
                    w.putUInt32(GgufTokenizer.EOM_ID, data.eomId());
                }
            }
        };
    }
}
