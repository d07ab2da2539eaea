package dev.llama3j.convert;

import dev.llama3j.format.gguf.GgufArray;
import dev.llama3j.format.gguf.GgufTokenizer;
import dev.llama3j.format.gguf.GgufType;
import dev.llama3j.format.gguf.GgufWriter;
import dev.llama3j.tokenizer.GgufTokenizerData;
import dev.llama3j.tokenizer.Tokenizer;

import java.nio.file.Path;

/** Where the convert and synth commands get a {@link GgufTokenizerSource} for a tiktoken {@code tokenizer.model}. */
public final class GgufTokenizers {
    private GgufTokenizers() {}

    /**
     * The tokenizer of {@code tokenizerModel} as llama.cpp's converter writes Llama 3's.
     *
     * @param llama31 Llama 3.1+ special-token names and {@code eom_token_id}
     */
    public static GgufTokenizerSource fromTokenizerModel(Path tokenizerModel, boolean llama31) {
        GgufTokenizerData data = GgufTokenizerData.fromTokenizer(Tokenizer.load(tokenizerModel), llama31);
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
