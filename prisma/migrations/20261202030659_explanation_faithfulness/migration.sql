-- AlterTable
ALTER TABLE "Explanation" ADD COLUMN "deletionAuc" REAL;
ALTER TABLE "Explanation" ADD COLUMN "insertionAuc" REAL;
ALTER TABLE "Explanation" ADD COLUMN "randomization" JSONB;
ALTER TABLE "Explanation" ADD COLUMN "randomizationSpearman" REAL;

-- CreateTable
CREATE TABLE "Faithfulness" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "explanationId" TEXT NOT NULL,
    "classIndex" INTEGER NOT NULL,
    "steps" INTEGER NOT NULL,
    "fill" TEXT NOT NULL,
    "blurSigma" REAL NOT NULL,
    "fractions" JSONB NOT NULL,
    "deletion" JSONB NOT NULL,
    "insertion" JSONB NOT NULL,
    "deletionAuc" REAL NOT NULL,
    "insertionAuc" REAL NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Faithfulness_explanationId_fkey" FOREIGN KEY ("explanationId") REFERENCES "Explanation" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Faithfulness_explanationId_classIndex_key" ON "Faithfulness"("explanationId", "classIndex");

-- CreateIndex
CREATE INDEX "Explanation_deletionAuc_idx" ON "Explanation"("deletionAuc");

-- CreateIndex
CREATE INDEX "Explanation_insertionAuc_idx" ON "Explanation"("insertionAuc");
