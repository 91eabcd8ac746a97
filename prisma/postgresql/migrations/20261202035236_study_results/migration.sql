-- CreateTable
CREATE TABLE "Agreement" (
    "id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "explanationAId" TEXT NOT NULL,
    "explanationBId" TEXT NOT NULL,
    "classA" INTEGER NOT NULL,
    "classB" INTEGER NOT NULL,
    "binarizationA" JSONB NOT NULL,
    "binarizationB" JSONB NOT NULL,
    "topPercent" DOUBLE PRECISION NOT NULL,
    "iou" DOUBLE PRECISION NOT NULL,
    "dice" DOUBLE PRECISION NOT NULL,
    "pearson" DOUBLE PRECISION,
    "spearman" DOUBLE PRECISION,
    "topKOverlap" DOUBLE PRECISION NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Agreement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StudyReport" (
    "studyId" TEXT NOT NULL,
    "storageKey" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "builtAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StudyReport_pkey" PRIMARY KEY ("studyId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Agreement_key_key" ON "Agreement"("key");

-- CreateIndex
CREATE INDEX "Agreement_explanationAId_idx" ON "Agreement"("explanationAId");

-- CreateIndex
CREATE INDEX "Agreement_explanationBId_idx" ON "Agreement"("explanationBId");

-- AddForeignKey
ALTER TABLE "StudyReport" ADD CONSTRAINT "StudyReport_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;
