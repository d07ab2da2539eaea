package dev.llama3j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import dev.llama3j.chat.ToolFormat;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.server.OpenAiServer;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code serve --tool-format}: a server in 3.2's pythonic format prompts requests with tools in that format (several
 * calls in one assistant message included, which the 3.1 template refuses), and refuses a forced call, whose
 * grammar writes JSON that this format does not read.
 */
class ServeToolFormatTest {
    @TempDir
    Path dir;

    @Test
    void aPythonicServerPromptsInItsFormatAndRefusesForcedJsonCalls() throws Exception {
        Path model = dir.resolve("tiny-vocab.gguf");
        CliRunner.Run synth = CliRunner.run("synth", "--shape", "tiny-vocab", "--type", "q8_0", "--tokenizer",
                SharedData.require("llama3/tokenizer.model").toString(), "-o", model.toString());
        assertThat(synth.exit()).as(synth.stderr()).isZero();
        ObjectMapper json = new ObjectMapper();
        String tools = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": "
                + "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}]";
        String messages = "[{\"role\": \"user\", \"content\": \"Rome and Oslo?\"}, {\"role\": \"assistant\", "
                + "\"tool_calls\": [{\"id\": \"a\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
                + "\"arguments\": \"{\\\"city\\\": \\\"Rome\\\"}\"}}, {\"id\": \"b\", \"type\": \"function\", "
                + "\"function\": {\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"}}]}, "
                + "{\"role\": \"tool\", \"tool_call_id\": \"a\", \"content\": \"sunny\"}, {\"role\": \"tool\", "
                + "\"tool_call_id\": \"b\", \"content\": \"rain\"}]";
        String body = "{\"max_tokens\": 2, \"temperature\": 0, \"tools\": " + tools + ", \"messages\": " + messages
                + "}";
        try (Llama llama = Llama.build(model, null, 1024, 1, 1, Numerics.INT8);
             Engine engine = llama.newEngine(1);
             OpenAiServer server = new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, null,
                     OpenAiServer.DEFAULT_QUEUE, null, List.of(), null, ToolFormat.LLAMA32_PYTHONIC);
             HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest.Builder chat = HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"));
            HttpResponse<String> r = http.send(chat.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            // the OpenAI arguments strings are objects for the prompt
            JsonNode parsed = json.readTree(messages.replace("\"arguments\": \"{\\\"city\\\": \\\"Rome\\\"}\"",
                    "\"arguments\": {\"city\": \"Rome\"}").replace("\"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"",
                    "\"arguments\": {\"city\": \"Oslo\"}"));
            int[] ids = ToolFormat.LLAMA32_PYTHONIC.encode(llama.tokenizer(), parsed, json.readTree(tools));
            assertThat(llama.tokenizer().decode(ids)).startsWith("<|begin_of_text|><|start_header_id|>system"
                    + "<|end_header_id|>\n\nYou are an expert in composing functions.").contains("<|start_header_id|>"
                    + "assistant<|end_header_id|>\n\n[get_weather(city=\"Rome\"), get_weather(city=\"Oslo\")]<|eot_id|>"
                    + "<|start_header_id|>ipython<|end_header_id|>\n\n\"sunny\"");
            assertThat(json.readTree(r.body()).at("/usage/prompt_tokens").asInt()).isEqualTo(ids.length);

            HttpResponse<String> forced = http.send(chat.POST(HttpRequest.BodyPublishers.ofString(
                    body.replace("{\"max_tokens\"", "{\"tool_choice\": \"required\", \"max_tokens\""))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(forced.statusCode()).isEqualTo(400);
            assertThat(json.readTree(forced.body()).at("/error/message").asText()).isEqualTo("'tool_choice' "
                    + "constrains the answer to a JSON call, which this server's --tool-format llama3.2-pythonic "
                    + "does not read: ask with \"auto\"");
        }
    }
}
