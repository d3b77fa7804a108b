import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.sonarllm.lang.Language;
import org.sonarllm.segment.Segment;
import org.sonarllm.segment.SentenceSegmenters;
import org.sonarllm.tokenize.SonarTokenizer;

/**
 * Encode throughput of SonarTokenizer.encoderIds over the sentences of a corpus (paragraphs split by the
 * project's English segmenter), in sentences per second: the median of ROUNDS rounds, each encoding every
 * sentence once per thread, after 3 warm-up passes. Uses the public API only, so the same source runs
 * against any version of sonarllm-core (scripts/bench-tokenizer.sh runs it against this one and the last
 * one built on DJL's SentencePiece).
 *
 * Usage: java -cp CLASSPATH TokenizerBench.java TOKENIZER_DIR CORPUS THREADS ROUNDS
 */
public class TokenizerBench {
    public static void main(String[] a) throws Exception {
        Path dir = Path.of(a[0]);
        String text = Files.readString(Path.of(a[1]));
        int threads = Integer.parseInt(a[2]);
        int rounds = Integer.parseInt(a[3]);
        List<String> sents = new ArrayList<>();
        var seg = SentenceSegmenters.forLanguage(Language.ENGLISH);
        for (String para : text.replace("\r", "").split("\n\\s*\n")) {
            String p = para.replaceAll("\\s+", " ").strip();
            if (!p.isEmpty()) {
                for (Segment s : seg.segment(p)) {
                    sents.add(s.text());
                }
            }
        }
        try (SonarTokenizer tok = SonarTokenizer.load(dir)) {
            long check = 0;
            for (int w = 0; w < 3; w++) {
                for (String s : sents) {
                    check += Arrays.hashCode(tok.encoderIds(s, Language.ENGLISH));
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            double[] rates = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                List<Future<Long>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    fs.add(pool.submit(() -> {
                        long h = 0;
                        for (String s : sents) {
                            h += Arrays.hashCode(tok.encoderIds(s, Language.ENGLISH));
                        }
                        return h;
                    }));
                }
                for (Future<Long> f : fs) {
                    f.get();
                }
                rates[r] = (double) threads * sents.size() / ((System.nanoTime() - t0) / 1e9);
            }
            pool.shutdown();
            Arrays.sort(rates);
            System.out.printf("%d sentences, %d thread(s): median %.0f sentences/s (min %.0f, max %.0f), ids hash %x%n",
                    sents.size(), threads, rates[rounds / 2], rates[0], rates[rounds - 1], check);
        }
    }
}
