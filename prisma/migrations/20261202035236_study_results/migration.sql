-- CreateTable
CREATE TABLE "Agreement" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "key" TEXT NOT NULL,
    "explanationAId" TEXT NOT NULL,
    "explanationBId" TEXT NOT NULL,
    "classA" INTEGER NOT NULL,
    "classB" INTEGER NOT NULL,
    "binarizationA" JSONB NOT NULL,
    "binarizationB" JSONB NOT NULL,
    "topPercent" REAL NOT NULL,
    "iou" REAL NOT NULL,
    "dice" REAL NOT NULL,
    "pearson" REAL,
    "spearman" REAL,
    "topKOverlap" REAL NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "StudyReport" (
    "studyId" TEXT NOT NULL PRIMARY KEY,
    "storageKey" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "builtAt" DATETIME NOT NULL,
    CONSTRAINT "StudyReport_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Agreement_key_key" ON "Agreement"("key");

-- CreateIndex
CREATE INDEX "Agreement_explanationAId_idx" ON "Agreement"("explanationAId");

-- CreateIndex
CREATE INDEX "Agreement_explanationBId_idx" ON "Agreement"("explanationBId");
