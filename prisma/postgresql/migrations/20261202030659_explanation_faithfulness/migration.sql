-- AlterTable
ALTER TABLE "Explanation" ADD COLUMN     "deletionAuc" DOUBLE PRECISION,
ADD COLUMN     "insertionAuc" DOUBLE PRECISION,
ADD COLUMN     "randomization" JSONB,
ADD COLUMN     "randomizationSpearman" DOUBLE PRECISION;

-- CreateTable
CREATE TABLE "Faithfulness" (
    "id" TEXT NOT NULL,
    "explanationId" TEXT NOT NULL,
    "classIndex" INTEGER NOT NULL,
    "steps" INTEGER NOT NULL,
    "fill" TEXT NOT NULL,
    "blurSigma" DOUBLE PRECISION NOT NULL,
    "fractions" JSONB NOT NULL,
    "deletion" JSONB NOT NULL,
    "insertion" JSONB NOT NULL,
    "deletionAuc" DOUBLE PRECISION NOT NULL,
    "insertionAuc" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Faithfulness_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Faithfulness_explanationId_classIndex_key" ON "Faithfulness"("explanationId", "classIndex");

-- CreateIndex
CREATE INDEX "Explanation_deletionAuc_idx" ON "Explanation"("deletionAuc");

-- CreateIndex
CREATE INDEX "Explanation_insertionAuc_idx" ON "Explanation"("insertionAuc");

-- AddForeignKey
ALTER TABLE "Faithfulness" ADD CONSTRAINT "Faithfulness_explanationId_fkey" FOREIGN KEY ("explanationId") REFERENCES "Explanation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
