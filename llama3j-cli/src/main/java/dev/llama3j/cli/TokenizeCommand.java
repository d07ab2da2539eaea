package dev.llama3j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;
import dev.llama3j.chat.ChatFormat;
import dev.llama3j.chat.DialogJson;
import dev.llama3j.chat.ToolPromptFormat;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.SpecialTokenSet;
import dev.llama3j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code llama3j tokenize}: encodes text (or, with {@code --jsonl}, answers one JSON request per stdin line
 * in the shapes of the reference cases).
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Encodes text with the Llama 3 tokenizer.",
                "With --jsonl, reads one JSON request per line from stdin and writes one JSON line per request:",
                "  {\"text\", \"bos\"?, \"eos\"?, \"allowed_special\"?, \"disallowed_special\"?} -> {\"ids\"}",
                "  {\"dialog\": [...], \"format\"?, \"tool_prompt_format\"?} -> {\"ids\"}",
                "  {\"ids\": [...]} -> {\"text\", \"bytes_hex\", \"text_utf8_hex\"}",
                "  a request that fails -> {\"error\"}, and the run goes on."})
public final class TokenizeCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH", description = "tokenizer.model, tokenizer.json or a .gguf model")
    Path tokenizerPath;

    @Option(names = "--bos", description = "prepend <|begin_of_text|>")
    boolean bos;

    @Option(names = "--eos", description = "append <|end_of_text|>")
    boolean eos;

    @Option(names = "--pieces", description = "also print each token's text, one per line")
    boolean pieces;

    @Option(names = "--jsonl", description = "answer JSON requests from stdin, one per line")
    boolean jsonl;

    @Option(names = "--format", defaultValue = "llama3", paramLabel = "FORMAT",
            description = "chat format of dialog requests, and special-token names: llama3 (default) or llama-models (3.1+)")
    String format;

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "text to encode (words joined by single spaces)")
    List<String> text = new ArrayList<>();

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    @Override
    public Integer call() throws IOException {
        if (!ChatFormat.NAMES.contains(format)) {
            throw new LlamaException("unknown --format '" + format + "': expected one of " + ChatFormat.NAMES);
        }
        SpecialTokenNames naming = format.equals("llama-models") ? SpecialTokenNames.LLAMA_3_1 : SpecialTokenNames.LLAMA_3;
        if (!jsonl && text.isEmpty()) {
            throw new LlamaException("tokenize: give the TEXT to encode, or --jsonl to read requests from stdin");
        }
        if (jsonl && !text.isEmpty()) {
            throw new LlamaException("tokenize: --jsonl reads stdin; do not also give TEXT (got '" + text.getFirst() + "')");
        }
        Tokenizer tokenizer = ModelFiles.readTokenizerFile(tokenizerPath).tokenizer().withNames(naming);
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        if (jsonl) {
            answerRequests(tokenizer, System.in, out);
        } else {
            int[] ids = tokenizer.encode(String.join(" ", text), bos, eos);
            StringBuilder line = new StringBuilder();
            for (int id : ids) {
                line.append(line.isEmpty() ? "" : " ").append(id);
            }
            out.println(line);
            if (pieces) {
                for (int id : ids) {
                    out.println(id + "\t" + JSON.writeValueAsString(tokenizer.tokenText(id)));
                }
            }
        }
        out.flush();
        return 0;
    }

    /** A longer request line is answered with an error (and skipped) instead of filling the heap. */
    static final int MAX_LINE_BYTES = 256 << 20;

    private void answerRequests(Tokenizer tokenizer, InputStream stdin, Writer out) throws IOException {
        InputStream in = new BufferedInputStream(stdin, 1 << 16);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean tooLong = false;
        int lineNumber = 0;
        while (true) {
            int b = in.read();
            if (b == '\n' || (b < 0 && (line.size() > 0 || tooLong))) {
                lineNumber++;
                out.write(tooLong
                        ? JSON.writeValueAsString(JSON.createObjectNode().put("error", "line " + lineNumber
                                + ": longer than " + MAX_LINE_BYTES + " bytes"))
                        : answer(tokenizer, line.toByteArray(), lineNumber));
                out.write('\n');
                out.flush(); // a caller may drive this as a co-process, one request at a time
                line.reset();
                tooLong = false;
            } else if (b >= 0 && !tooLong) {
                line.write(b);
                if (line.size() > MAX_LINE_BYTES) {
                    tooLong = true;
                    line.reset();
                }
            }
            if (b < 0) {
                break;
            }
        }
    }

    /** The JSON answer to one request line (without newline). */
    private String answer(Tokenizer tokenizer, byte[] bytes, int lineNumber) throws JsonProcessingException {
        ObjectNode result = JSON.createObjectNode();
        try {
            JsonNode request = parse(bytes, lineNumber);
            if (request.has("dialog")) {
                result.set("ids", idArray(encodeDialog(tokenizer, request)));
            } else if (request.has("text")) {
                result.set("ids", idArray(encodeText(tokenizer, request)));
            } else if (request.has("ids")) {
                decode(tokenizer, request, result);
            } else {
                throw new LlamaException("line " + lineNumber
                        + ": expected a request with \"text\", \"dialog\" or \"ids\", got fields " + fieldNames(request));
            }
        } catch (LlamaException e) {
            result.removeAll();
            result.put("error", e.getMessage().startsWith("line ") ? e.getMessage() : "line " + lineNumber + ": " + e.getMessage());
        }
        return JSON.writeValueAsString(result);
    }

    private static JsonNode parse(byte[] bytes, int lineNumber) {
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\r') {
            length--;
        }
        String line = StrictUtf8.decode(bytes, length, "line " + lineNumber);
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new LlamaException("line " + lineNumber + ": invalid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new LlamaException("line " + lineNumber + ": expected a JSON object, got "
                    + (node == null || node.isMissingNode() ? "an empty line" : node.getNodeType().toString().toLowerCase()));
        }
        return node;
    }

    private int[] encodeText(Tokenizer tokenizer, JsonNode request) {
        JsonNode text = request.get("text");
        if (!text.isTextual()) {
            throw new LlamaException("\"text\" must be a string, got " + text.getNodeType().toString().toLowerCase());
        }
        return tokenizer.encode(text.textValue(), flag(request, "bos"), flag(request, "eos"),
                specialSet(request, "allowed_special"), specialSet(request, "disallowed_special"));
    }

    private int[] encodeDialog(Tokenizer tokenizer, JsonNode request) {
        String name = format;
        JsonNode formatNode = request.get("format");
        if (formatNode != null && !formatNode.isNull()) {
            if (!formatNode.isTextual()) {
                throw new LlamaException("\"format\" must be a string: " + ChatFormat.NAMES);
            }
            name = formatNode.textValue();
        }
        JsonNode tools = request.get("tool_prompt_format");
        ToolPromptFormat toolFormat = tools == null || tools.isNull() ? ToolPromptFormat.JSON
                : ToolPromptFormat.fromJsonName(tools.asText());
        return ChatFormat.forName(name, tokenizer, toolFormat).encodeDialogPrompt(DialogJson.parse(request.get("dialog")));
    }

    private static void decode(Tokenizer tokenizer, JsonNode request, ObjectNode result) {
        JsonNode idsNode = request.get("ids");
        if (!idsNode.isArray()) {
            throw new LlamaException("\"ids\" must be an array of token ids");
        }
        int[] ids = new int[idsNode.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = idsNode.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                throw new LlamaException("\"ids\"[" + i + "] must be a token id, got " + id);
            }
            ids[i] = id.intValue();
        }
        String text = tokenizer.decode(ids);
        result.put("text", text);
        result.put("bytes_hex", HexFormat.of().formatHex(tokenizer.decodeBytes(ids)));
        result.put("text_utf8_hex", HexFormat.of().formatHex(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static boolean flag(JsonNode request, String field) {
        JsonNode v = request.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new LlamaException("\"" + field + "\" must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    private static SpecialTokenSet specialSet(JsonNode request, String field) {
        JsonNode v = request.get(field);
        if (v == null || v.isNull()) {
            return SpecialTokenSet.NONE;
        }
        if (v.isTextual() && v.textValue().equals("all")) {
            return SpecialTokenSet.ALL;
        }
        if (!v.isArray()) {
            throw new LlamaException("\"" + field + "\" must be \"all\" or an array of special-token strings, got " + v);
        }
        List<String> names = new ArrayList<>();
        for (JsonNode n : v) {
            if (!n.isTextual()) {
                throw new LlamaException("\"" + field + "\" entries must be strings, got " + n);
            }
            names.add(n.textValue());
        }
        return SpecialTokenSet.of(names);
    }

    private static ArrayNode idArray(int[] ids) {
        ArrayNode array = JSON.createArrayNode();
        for (int id : ids) {
            array.add(id);
        }
        return array;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
