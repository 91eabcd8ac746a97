-- AlterTable
ALTER TABLE "Explanation" ADD COLUMN     "study" TEXT;

-- CreateIndex
CREATE INDEX "Explanation_study_createdAt_idx" ON "Explanation"("study", "createdAt");
