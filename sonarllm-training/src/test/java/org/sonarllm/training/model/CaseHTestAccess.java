package org.sonarllm.training.model;

import java.util.List;

/** Exposes the tiny-a case h documents to tests in other packages. */
public final class CaseHTestAccess {
    private CaseHTestAccess() {}

    /** @return case h documents with decoder tokens */
    public static List<Batch.Document> caseHDocuments() {
        return CaseHTest.caseHBatch().documents();
    }
}
