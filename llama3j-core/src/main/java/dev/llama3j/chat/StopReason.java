package dev.llama3j.chat;

import dev.llama3j.LlamaException;

/** Why an assistant message ended, as llama-models' {@code StopReason}. */
public enum StopReason {
    /** eot_id: the assistant finished its turn. */
    END_OF_TURN("end_of_turn"),
    /** eom_id: the assistant paused for a tool result (Llama 3.1+). */
    END_OF_MESSAGE("end_of_message"),
    /** the token limit was reached. */
    OUT_OF_TOKENS("out_of_tokens");

    private final String jsonName;

    StopReason(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static StopReason fromJsonName(String name) {
        for (StopReason r : values()) {
            if (r.jsonName.equals(name)) {
                return r;
            }
        }
        throw new LlamaException("unknown stop_reason '" + name + "': expected end_of_turn, end_of_message or out_of_tokens");
    }
}
