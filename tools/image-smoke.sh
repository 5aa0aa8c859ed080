#!/usr/bin/env bash
# Smoke test of the strix-mnist jlink image: the launcher starts, --version works, the image holds the
# modules it should (and no compiler), inspect-image turns a generated PNG of a "7" into a centred
# 28x28 digit, a blank image is refused, and nothing but the incubator notice goes to stderr.
#
# Usage: tools/image-smoke.sh [IMAGE_DIR]   (default: modules/mnist-app/target/image)
# Needs a JDK 25 `java` (JAVA_HOME or PATH) to draw the test PNG with Java2D.
set -euo pipefail

image="${1:-$(cd "$(dirname "$0")/.." && pwd)/modules/mnist-app/target/image}"
launcher="$image/bin/strix-mnist"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() {
  echo "image-smoke: FAIL: $*" >&2
  exit 1
}

# Only the incubator notice may appear on stderr; anything else (e.g. "Unknown module" from a
# baked-in --enable-native-access) means the image's JVM options are wrong.
check_stderr() {
  if grep -v '^WARNING: Using incubator modules: jdk.incubator.vector$' "$1" | grep -q .; then
    cat "$1" >&2
    fail "unexpected output on stderr from: $2"
  fi
}

[ -x "$launcher" ] || fail "no launcher at $launcher (build it: mvn -B -pl modules/mnist-app -am package)"

# 1. --version
out="$("$launcher" --version 2>"$work/err")" || fail "--version exited with $?"
check_stderr "$work/err" "--version"
grep -Eq '^strix-mnist [0-9]+\.[0-9]+' <<<"$out" || fail "--version printed: $out"
grep -Eq '^backends: .*cpu' <<<"$out" || fail "--version lists no cpu backend: $out"

# 2. the modules in the image: what the app needs, and nothing as big as the compiler
"$image/bin/java" --list-modules >"$work/modules" 2>/dev/null
for m in dev.strix.mnist dev.strix.tensor dev.strix.layers dev.strix.optim dev.strix.data dev.strix.bindings \
    dev.strix.cuda info.picocli java.desktop jdk.incubator.vector java.net.http; do
  grep -Eq "^$m(@|$)" "$work/modules" || fail "module $m missing from the image"
done
! grep -q '^jdk.compiler' "$work/modules" || fail "the image should not contain jdk.compiler"

# 3. a generated image: a thick black "7" on white, 200x200, and an all-white one
cat >"$work/DrawSeven.java" <<'EOF'
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.File;
import javax.imageio.ImageIO;

public class DrawSeven {
    public static void main(String[] args) throws Exception {
        BufferedImage seven = new BufferedImage(200, 200, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = seven.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 200, 200);
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(18, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.drawLine(50, 40, 150, 40);
        g.drawLine(150, 40, 85, 165);
        g.dispose();
        ImageIO.write(seven, "png", new File(args[0]));
        BufferedImage blank = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D b = blank.createGraphics();
        b.setColor(Color.WHITE);
        b.fillRect(0, 0, 64, 64);
        b.dispose();
        ImageIO.write(blank, "png", new File(args[1]));
    }
}
EOF
"$java" -Djava.awt.headless=true "$work/DrawSeven.java" "$work/seven.png" "$work/blank.png" \
  || fail "could not draw the test PNG with $java"

out="$("$launcher" inspect-image "$work/seven.png" --png "$work/seen.png" 2>"$work/err")" \
  || fail "inspect-image exited with $?: $(cat "$work/err")"
check_stderr "$work/err" "inspect-image"
grep -q "seven.png: 200x200" <<<"$out" || fail "inspect-image did not report the size: $out"
grep -q "light background: inverted" <<<"$out" || fail "inspect-image did not invert: $out"
grep -Eq 'centre of mass \(1[34]\.[0-9]+, 1[34]\.[0-9]+\)' <<<"$out" || fail "digit not centred: $out"
art_rows="$(grep -c '^|.*|$' <<<"$out" || true)"
[ "$art_rows" = 28 ] || fail "expected 28 rows of ASCII art, got $art_rows: $out"
grep -q '@@' <<<"$out" || fail "no full-ink pixels in the ASCII art: $out"
[ "$(head -c 4 "$work/seen.png" | od -An -tx1 | tr -d ' \n')" = 89504e47 ] || fail "--png did not write a PNG"

# 4. a blank image is refused, not guessed at
if "$launcher" inspect-image "$work/blank.png" >"$work/out" 2>"$work/err"; then
  fail "inspect-image accepted a blank image"
fi
grep -q "blank image" "$work/err" || fail "no 'blank image' message: $(cat "$work/err")"

# 5. a missing file is one clear error line, not a stack trace
if "$launcher" inspect-image "$work/nope.png" >"$work/out" 2>"$work/err"; then
  fail "inspect-image accepted a missing file"
fi
grep -q "^strix-mnist: error: .*nope.png" "$work/err" || fail "unclear error for a missing file: $(cat "$work/err")"
! grep -q 'at dev.strix' "$work/err" || fail "stack trace for a missing file"

# 6. a short training run from the image: a few batches of one epoch on the MNIST copy found beside the
#    repository (shared/data/mnist, as in CI), then eval and predict with the checkpoint it wrote.
data=""
for d in "$(cd "$(dirname "$0")/.." && pwd)" "$(pwd)"; do
  while [ "$d" != / ]; do
    if [ -d "$d/shared/data/mnist" ]; then data="$d/shared/data/mnist"; break 2; fi
    d="$(dirname "$d")"
  done
done
if [ -z "$data" ]; then
  echo "image-smoke: SKIPPED the training run: no shared/data/mnist above $(pwd) (nothing to train on offline)"
else
  "$launcher" train --data-dir "$data" --device cpu --model reference --epochs 1 --limit 5 --batch-size 64 \
      --no-test-each-epoch --checkpoint-dir "$work/ck" >"$work/out" 2>"$work/err" \
    || fail "train exited with $?: $(cat "$work/out" "$work/err")"
  grep -q '^epoch 1/1  train loss' "$work/out" || fail "train printed no epoch line: $(cat "$work/out")"
  grep -Eq '^test accuracy [0-9.]+% \([0-9]+/10000\)' "$work/out" || fail "train printed no test accuracy: $(cat "$work/out")"
  [ -s "$work/ck/model.safetensors" ] || fail "train wrote no checkpoint"
  out="$("$launcher" eval --data-dir "$data" --device cpu --checkpoint "$work/ck" 2>"$work/err")" \
    || fail "eval exited with $?: $(cat "$work/err")"
  [ "$(grep -Eo 'test accuracy [0-9.]+%' <<<"$out")" = "$(grep -Eo '^test accuracy [0-9.]+%' "$work/out")" ] \
    || fail "eval does not reproduce the trained accuracy: $out"
  "$launcher" predict --device cpu --checkpoint "$work/ck" "$work/seven.png" >"$work/out" 2>"$work/err" \
    || fail "predict exited with $?: $(cat "$work/err")"
  grep -Eq "seven.png: [0-9] \([0-9.]+%\)" "$work/out" || fail "predict printed: $(cat "$work/out")"
  echo "image-smoke: trained 5 batches, eval and predict from the image: OK"
fi

echo "image-smoke: OK ($(du -sh "$image" | cut -f1) in $image)"
