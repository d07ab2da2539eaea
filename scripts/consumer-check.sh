#!/usr/bin/env bash
# Uses llama3j as an application would: installs the modules into the local Maven repository, builds a separate
# project whose only dependency is dev.llama3j:llama3j-langchain4j, asks it "Hello" at temperature 0 with 20 tokens,
# and checks the answer against `./llama3j chat --temperature 0 --max-gen-len 20` for the same message.
# Usage: scripts/consumer-check.sh [MODEL]   (default: the real-vocabulary fixture in ../shared)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/.ci/find-jdk.sh"
llama3j_find_jdk || exit 1
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
if command -v mvn >/dev/null; then mvn=mvn; else mvn="$root/mvnw"; fi
model="$(readlink -f "${1:-$root/../shared/fixtures/gguf/tiny-gguf-q8_0.gguf}")"
[ -f "$model" ] || { echo "consumer-check: no model at $model" >&2; exit 1; }
version=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' "$root/pom.xml" | head -1)

(cd "$root" && "$mvn" -q -B install -DskipTests)

app="$(mktemp -d)"
trap 'rm -rf "$app"' EXIT
mkdir -p "$app/src/main/java"
cat > "$app/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>hello-llama3j</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>25</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.14.0</version>
      </plugin>
    </plugins>
  </build>
  <dependencies>
    <dependency>
      <groupId>dev.llama3j</groupId>
      <artifactId>llama3j-langchain4j</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
POM
cat > "$app/src/main/java/Hello.java" <<'JAVA'
import dev.llama3j.langchain4j.Llama3jChatModel;
import java.nio.file.Path;

public class Hello {
    public static void main(String[] args) {
        try (Llama3jChatModel model = Llama3jChatModel.builder().modelPath(Path.of(args[0]))
                .temperature(0.0).maxTokens(20).build()) {
            System.out.print(model.chat("Hello"));
        }
    }
}
JAVA
(cd "$app" && "$mvn" -q -B compile && "$mvn" -q -B dependency:build-classpath -Dmdep.outputFile=cp.txt)
if ! got="$("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "$app/target/classes:$(cat "$app/cp.txt")" Hello "$model" 2>"$app/app.err")"; then
  cat "$app/app.err" >&2; echo "consumer-check: the application failed" >&2; exit 1
fi

dialogs="$app/dialogs.json"
echo '[[{"role": "user", "content": "Hello"}]]' > "$dialogs"
# the CLI prints each dialog's turns, then "> Assistant: ANSWER"
if ! chat="$("$root/llama3j" chat -m "$model" --temperature 0 --max-gen-len 20 --dialogs "$dialogs" --no-timing \
  2>"$app/chat.err")"; then
  cat "$app/chat.err" >&2; echo "consumer-check: llama3j chat failed" >&2; exit 1
fi
want="$(printf '%s\n' "$chat" | sed -n 's/^> Assistant: //p')"
echo "application: $got"
echo "llama3j chat: $want"
[ "$got" = "$want" ] || { echo "consumer-check: the answers differ" >&2; exit 1; }
echo "consumer-check: OK"
