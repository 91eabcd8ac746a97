-- AlterTable
ALTER TABLE "Explanation" ADD COLUMN     "createdBy" TEXT;

-- CreateIndex
CREATE INDEX "Explanation_createdBy_status_idx" ON "Explanation"("createdBy", "status");
