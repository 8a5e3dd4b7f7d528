package io.jsgl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsgl.engine.Engine;
import io.jsgl.engine.api.EngineConfig;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every error status, answered as OpenAI error JSON. */
@Timeout(120)
class ErrorStatusTest {
    static JsglServer server;

    @BeforeAll
    static void start() {
        server = TestServers.start(b -> b.maxBodyBytes(64 * 1024).maxPromptChars(20_000));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Asserts the status and OpenAI's error shape; returns the message. */
    static String expectError(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("application/json"), r.headers().toString());
        JsonNode e = TestServers.json(r).get("error");
        assertTrue(e != null && e.get("message").isTextual() && e.get("type").isTextual(), r.body());
        assertTrue(e.has("param") && e.has("code"), r.body());
        return e.get("message").asText();
    }

    static String chat(String extra) {
        return "{\"model\": \"pycoder-27m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 4"
                + extra + "}";
    }

    @Test
    void invalidJson() throws Exception {
        assertTrue(expectError(TestServers.post(server, "/v1/chat/completions", "{\"model\": "), 400).contains("invalid JSON"));
        expectError(TestServers.post(server, "/v1/completions", "[1, 2]"), 400);
        expectError(TestServers.post(server, "/generate", ""), 400);
        expectError(TestServers.post(server, "/v1/chat/completions", "{\"a\": 1} trailing"), 400);
    }

    @Test
    void wrongTypes() throws Exception {
        assertTrue(expectError(TestServers.post(server, "/v1/chat/completions",
                "{\"model\": \"pycoder-27m\", \"messages\": \"hi\"}"), 400).contains("messages"));
        assertTrue(expectError(TestServers.post(server, "/v1/chat/completions", chat(", \"temperature\": \"hot\"")), 400)
                .contains("temperature"));
        assertTrue(expectError(TestServers.post(server, "/v1/completions",
                "{\"prompt\": \"x\", \"max_tokens\": \"ten\"}"), 400).contains("max_tokens"));
        assertTrue(expectError(TestServers.post(server, "/v1/completions", "{\"prompt\": {\"a\": 1}}"), 400).contains("prompt"));
        assertTrue(expectError(TestServers.post(server, "/generate",
                "{\"text\": \"x\", \"sampling_params\": {\"max_new_tokens\": true}}"), 400).contains("max_new_tokens"));
        assertTrue(expectError(TestServers.post(server, "/generate",
                "{\"text\": \"x\", \"sampling_params\": {\"temprature\": 1}}"), 400).contains("temprature"));
        expectError(TestServers.post(server, "/generate", "{\"text\": \"x\", \"input_ids\": [1]}"), 400);
        expectError(TestServers.post(server, "/v1/chat/completions", chat(", \"stop\": 5")), 400);
        expectError(TestServers.post(server, "/v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}"), 400);
    }

    @Test
    void outOfRange() throws Exception {
        assertTrue(expectError(TestServers.post(server, "/v1/chat/completions", chat(", \"top_p\": 2")), 400).contains("top_p"));
        assertTrue(expectError(TestServers.post(server, "/v1/chat/completions", chat(", \"n\": 0")), 400).contains("n must"));
        assertTrue(expectError(TestServers.post(server, "/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": -1}"), 400)
                .contains("max_tokens"));
        assertTrue(expectError(TestServers.post(server, "/v1/chat/completions",
                chat(", \"logprobs\": true, \"top_logprobs\": 30")), 400).contains("top_logprobs"));
        assertTrue(expectError(TestServers.post(server, "/v1/chat/completions", chat(", \"frequency_penalty\": 3")), 400)
                .contains("frequency_penalty"));
        expectError(TestServers.post(server, "/generate", "{\"input_ids\": [9999999]}"), 400);
        expectError(TestServers.post(server, "/v1/detokenize", "{\"tokens\": [-1]}"), 400);
    }

    @Test
    void promptOverContext() throws Exception {
        String ids = IntStream.range(0, TestServers.CONTEXT + 100).mapToObj(i -> String.valueOf(100 + i % 500)).collect(Collectors.joining(","));
        String msg = expectError(TestServers.post(server, "/v1/completions", "{\"prompt\": [" + ids + "], \"max_tokens\": 4}"), 400);
        assertTrue(msg.contains("context length"), msg);
        String most = IntStream.range(0, TestServers.CONTEXT - 100).mapToObj(i -> "200").collect(Collectors.joining(","));
        String msg2 = expectError(TestServers.post(server, "/generate",
                "{\"input_ids\": [" + most + "], \"sampling_params\": {\"max_new_tokens\": 200}}"), 400);
        assertTrue(msg2.contains("maximum context length"), msg2);
        JsglServer truncating = TestServers.start(b -> b.allowAutoTruncate(true));
        try {
            var r = TestServers.post(truncating, "/v1/completions", "{\"prompt\": [" + ids + "], \"max_tokens\": 4}");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode usage = TestServers.json(r).get("usage");
            assertEquals(TestServers.CONTEXT - 1, usage.get("prompt_tokens").asInt());
            assertEquals(1, usage.get("completion_tokens").asInt());
        } finally {
            truncating.close();
        }
    }

    @Test
    void sizeLimits() throws Exception {
        String big = "x".repeat(70 * 1024);
        String msg = expectError(TestServers.post(server, "/v1/completions", "{\"prompt\": \"" + big + "\"}"), 413);
        assertTrue(msg.contains("limit"), msg);
        String longPrompt = "y ".repeat(15_000);
        assertTrue(expectError(TestServers.post(server, "/generate", "{\"text\": \"" + longPrompt + "\"}"), 400)
                .contains("characters"));
    }

    @Test
    void unauthorized() throws Exception {
        JsglServer secured = TestServers.start(b -> b.apiKey("k3y"));
        try {
            expectError(TestServers.get(secured, "/v1/models"), 401);
            expectError(TestServers.post(secured, "/generate", "{\"text\": \"x\"}"), 401);
            var withKey = TestServers.HTTP.send(HttpRequest.newBuilder(URI.create(TestServers.base(secured) + "/v1/models"))
                    .header("Authorization", "Bearer k3y").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, withKey.statusCode());
            var wrong = TestServers.HTTP.send(HttpRequest.newBuilder(URI.create(TestServers.base(secured) + "/v1/models"))
                    .header("Authorization", "Bearer nope").GET().build(), HttpResponse.BodyHandlers.ofString());
            expectError(wrong, 401);
            assertEquals(200, TestServers.get(secured, "/health").statusCode(), "health needs no key");
        } finally {
            secured.close();
        }
    }

    @Test
    void notFound() throws Exception {
        assertTrue(expectError(TestServers.post(server, "/v1/chat/completions",
                "{\"model\": \"llama-70b\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"), 404).contains("llama-70b"));
        expectError(TestServers.post(server, "/v1/completions", "{\"model\": \"llama-70b\", \"prompt\": \"x\"}"), 404);
        expectError(TestServers.get(server, "/v1/models/llama-70b"), 404);
        expectError(TestServers.get(server, "/no/such/route"), 404);
        expectError(TestServers.get(server, "/metrics"), 404); // metrics are off on this server
    }

    @Test
    void queueFull() throws Exception {
        Engine tiny = Engine.open(EngineConfig.builder(TestServers.MODEL).maxRunningRequests(1).maxQueuedRequests(1)
                .chunkedPrefillSize(2048).maxTotalTokens(4096).contextLength(2048).build());
        JsglServer s = JsglServer.start(TestServers.config().build(), new ServerLog(System.err, true));
        try {
            s.attach(tiny, true);
            // a long prefill keeps the scheduler inside one step while the others arrive
            String longPrompt = IntStream.range(0, 1800).mapToObj(i -> String.valueOf(100 + i % 700)).collect(Collectors.joining(","));
            var first = send(s, "{\"input_ids\": [" + longPrompt + "], \"sampling_params\": {\"max_new_tokens\": 2}}");
            for (int i = 0; i < 5000 && s.liveRids.isEmpty(); i++) Thread.sleep(1); // the long one is in the engine
            List<CompletableFuture<HttpResponse<String>>> rest = new ArrayList<>();
            for (int i = 0; i < 6; i++) rest.add(send(s, "{\"text\": \"x = " + i + "\", \"sampling_params\": {\"max_new_tokens\": 2}}"));
            assertEquals(200, first.get(90, TimeUnit.SECONDS).statusCode());
            int rejected = 0;
            for (var f : rest) {
                var r = f.get(90, TimeUnit.SECONDS);
                if (r.statusCode() == 429) {
                    expectError(r, 429);
                    assertTrue(r.headers().firstValue("retry-after").isPresent());
                    rejected++;
                } else {
                    assertEquals(200, r.statusCode(), r.body());
                }
            }
            assertTrue(rejected >= 1, "with --max-queued-requests 1 some requests are refused");
        } finally {
            s.close();
        }
    }

    private static CompletableFuture<HttpResponse<String>> send(JsglServer s, String body) {
        return TestServers.HTTP.sendAsync(HttpRequest.newBuilder(URI.create(TestServers.base(s) + "/generate"))
                .timeout(Duration.ofSeconds(90)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void unavailableWhileLoadingAndDraining() throws Exception {
        JsglServer loading = JsglServer.start(TestServers.config().build(), new ServerLog(System.err, true));
        try {
            expectError(TestServers.get(loading, "/health"), 503);
            expectError(TestServers.get(loading, "/v1/models"), 503);
            expectError(TestServers.post(loading, "/generate", "{\"text\": \"x\"}"), 503);
        } finally {
            loading.close();
        }
        JsglServer draining = TestServers.start(b -> {});
        // long enough to be still running when the refused request comes 100 ms into the drain (within the
        // test context of 512): warm, the embedded model decoded 48 tokens in under 100 ms, the drain ended and
        // the closed listener refused the connection instead of answering 503
        String body = "{\"text\": \"import os\", \"stream\": true, \"sampling_params\": {\"max_new_tokens\": 400, \"ignore_eos\": true}}";
        var running = TestServers.HTTP.sendAsync(HttpRequest.newBuilder(URI.create(TestServers.base(draining) + "/generate"))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        for (int i = 0; i < 300 && draining.engine().stats().runningRequests() == 0; i++) Thread.sleep(10);
        String base = TestServers.base(draining);
        Thread closer = Thread.ofVirtual().start(draining::close);
        Thread.sleep(100);
        var refused = TestServers.HTTP.send(HttpRequest.newBuilder(URI.create(base + "/generate"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"x\"}")).build(), HttpResponse.BodyHandlers.ofString());
        expectError(refused, 503);
        var finished = running.get(60, TimeUnit.SECONDS);
        assertEquals(200, finished.statusCode());
        List<String> data = TestServers.sseData(finished.body());
        JsonNode last = Json.MAPPER.readTree(data.getLast());
        assertEquals(400, last.get("meta_info").get("completion_tokens").asInt(), "the running stream finished in full");
        closer.join(Duration.ofSeconds(60));
    }
}
