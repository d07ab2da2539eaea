package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.chat.ToolFormat;
import picocli.CommandLine.Option;

/** {@code --tool-format} of chat and serve: the prompt and the answer parser of tool calls. */
final class ToolFormatOption {
    @Option(names = "--tool-format", defaultValue = "auto", paramLabel = "NAME",
            description = "how tools are prompted and answers read: auto (Meta's 3.1 template, calls of any format),"
                    + " function-tag, llama3.1-json, llama3.1-builtin or llama3.2-pythonic (default: ${DEFAULT-VALUE})")
    String name = "auto";

    ToolFormat format() {
        if (!ToolFormat.NAMES.contains(name)) {
            throw new LlamaException("--tool-format must be one of " + String.join(", ", ToolFormat.NAMES)
                    + ", got '" + name + "'");
        }
        return ToolFormat.forName(name);
    }
}
