package org.sonarllm.predict;

import java.util.ArrayList;
import java.util.List;

/**
 * {@link ConceptLMBatch} over one {@link ConceptLMSession} per row: what {@link
 * ConceptLM#newBatch(int)} returns for concept LMs without a batched implementation (one call per row
 * and step, results identical to sessions).
 */
final class SessionBatch extends AbstractConceptLMBatch {
    private List<ConceptLMSession> rows;

    SessionBatch(ConceptLM lm, int size) {
        rows = new ArrayList<>(size);
        try {
            for (int i = 0; i < size; i++) {
                rows.add(lm.newSession());
            }
        } catch (RuntimeException e) {
            release();
            throw e;
        }
    }

    @Override
    public int size() {
        return rows.size();
    }

    @Override
    protected int lengthChecked(int row) {
        return rows.get(row).length();
    }

    @Override
    protected List<float[]> appendChecked(List<List<float[]>> perRow) {
        List<float[]> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            List<float[]> p = rows.get(i).append(perRow.get(i));
            out.add(p.get(p.size() - 1));
        }
        return out;
    }

    @Override
    protected void retainChecked(int[] keep) {
        boolean[] kept = new boolean[rows.size()];
        List<ConceptLMSession> next = new ArrayList<>(keep.length);
        for (int r : keep) {
            kept[r] = true;
            next.add(rows.get(r));
        }
        for (int i = 0; i < kept.length; i++) {
            if (!kept[i]) {
                rows.get(i).close();
            }
        }
        rows = next;
    }

    @Override
    protected void release() {
        for (ConceptLMSession s : rows) {
            s.close();
        }
        rows = List.of();
    }
}
