-- CreateTable
CREATE TABLE "Study" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "seed" INTEGER,
    "state" TEXT NOT NULL DEFAULT 'QUEUED',
    "createdBy" TEXT,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Study_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StudyImage" (
    "studyId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "groundTruth" JSONB,

    CONSTRAINT "StudyImage_pkey" PRIMARY KEY ("studyId","imageId")
);

-- CreateTable
CREATE TABLE "StudyModel" (
    "studyId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "StudyModel_pkey" PRIMARY KEY ("studyId","modelId")
);

-- CreateTable
CREATE TABLE "StudyMethod" (
    "studyId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "parameters" JSONB NOT NULL,
    "label" TEXT NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "StudyMethod_pkey" PRIMARY KEY ("studyId","key")
);

-- CreateTable
CREATE TABLE "StudyCell" (
    "id" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "imageId" TEXT NOT NULL,
    "modelId" TEXT NOT NULL,
    "methodKey" TEXT NOT NULL,
    "explanationId" TEXT,
    "weight" DOUBLE PRECISION NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "StudyCell_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "Explanation" ADD COLUMN "studyId" TEXT;

-- Free-text study names become Study records: one per name, without an owner (admins only), with
-- the images, models, methods (one per distinct method and parameters) and cells (the newest
-- explanation per image, model and method) derived from the explanations filed under the name.
INSERT INTO "Study" ("id", "name", "state", "createdAt", "startedAt", "finishedAt", "updatedAt")
SELECT 'legacy' || substr(md5(random()::text || clock_timestamp()::text), 1, 20), "study",
       CASE WHEN SUM(CASE WHEN "status" IN ('QUEUED', 'RUNNING') THEN 1 ELSE 0 END) > 0 THEN 'RUNNING'
            WHEN SUM(CASE WHEN "status" = 'FAILED' THEN 1 ELSE 0 END) > 0 THEN 'FAILED'
            WHEN SUM(CASE WHEN "status" = 'CANCELLED' THEN 1 ELSE 0 END) > 0 THEN 'CANCELLED'
            ELSE 'SUCCEEDED' END,
       MIN("createdAt"), MIN("startedAt"),
       CASE WHEN SUM(CASE WHEN "status" IN ('QUEUED', 'RUNNING') THEN 1 ELSE 0 END) = 0 THEN MAX("finishedAt") END,
       MAX("updatedAt")
FROM "Explanation" WHERE "study" IS NOT NULL GROUP BY "study";

INSERT INTO "StudyImage" ("studyId", "imageId", "position")
SELECT s."id", e."imageId", ROW_NUMBER() OVER (PARTITION BY s."id" ORDER BY MIN(e."createdAt"), e."imageId") - 1
FROM "Explanation" e JOIN "Study" s ON s."name" = e."study" GROUP BY s."id", e."imageId";

INSERT INTO "StudyModel" ("studyId", "modelId", "position")
SELECT s."id", e."modelId", ROW_NUMBER() OVER (PARTITION BY s."id" ORDER BY MIN(e."createdAt"), e."modelId") - 1
FROM "Explanation" e JOIN "Study" s ON s."name" = e."study" GROUP BY s."id", e."modelId";

INSERT INTO "StudyMethod" ("studyId", "key", "method", "parameters", "label", "position")
SELECT "studyId",
       CASE WHEN "n" = 1 THEN lower(replace("method", '_', '-')) ELSE lower(replace("method", '_', '-')) || '-' || "n" END,
       "method", "parameters",
       CASE WHEN "n" = 1 THEN "method" ELSE "method" || ' ' || "n" END,
       "position"
FROM (
  SELECT s."id" AS "studyId", e."method", e."parameters",
         ROW_NUMBER() OVER (PARTITION BY s."id", e."method" ORDER BY MIN(e."createdAt")) AS "n",
         ROW_NUMBER() OVER (PARTITION BY s."id" ORDER BY MIN(e."createdAt"), e."method") - 1 AS "position"
  FROM "Explanation" e JOIN "Study" s ON s."name" = e."study" GROUP BY s."id", e."method", e."parameters"
) m;

UPDATE "Explanation" e SET "studyId" = s."id" FROM "Study" s WHERE s."name" = e."study";

INSERT INTO "StudyCell" ("id", "studyId", "imageId", "modelId", "methodKey", "explanationId", "weight", "position")
SELECT 'legacy' || substr(md5(random()::text || clock_timestamp()::text), 1, 20), "studyId", "imageId", "modelId", "key", "explanationId", 1,
       ROW_NUMBER() OVER (PARTITION BY "studyId" ORDER BY "createdAt", "explanationId") - 1
FROM (
  SELECT s."id" AS "studyId", e."imageId", e."modelId", m."key", e."id" AS "explanationId", e."createdAt",
         ROW_NUMBER() OVER (PARTITION BY s."id", e."imageId", e."modelId", m."key" ORDER BY e."createdAt" DESC, e."id" DESC) AS "newest"
  FROM "Explanation" e
  JOIN "Study" s ON s."name" = e."study"
  JOIN "StudyMethod" m ON m."studyId" = s."id" AND m."method" = e."method" AND m."parameters" = e."parameters"
) c WHERE "newest" = 1;

-- Study methods keep their parameters as a request gives them: { target, parameters }.
UPDATE "StudyMethod" SET "parameters" = jsonb_build_object('target', NULL, 'parameters', "parameters");

-- DropIndex
DROP INDEX "Explanation_study_createdAt_idx";

-- AlterTable
ALTER TABLE "Explanation" DROP COLUMN "study";

-- CreateIndex
CREATE INDEX "Study_createdAt_idx" ON "Study"("createdAt");

-- CreateIndex
CREATE INDEX "Study_state_idx" ON "Study"("state");

-- CreateIndex
CREATE INDEX "StudyCell_studyId_position_idx" ON "StudyCell"("studyId", "position");

-- CreateIndex
CREATE INDEX "StudyCell_explanationId_idx" ON "StudyCell"("explanationId");

-- CreateIndex
CREATE UNIQUE INDEX "StudyCell_studyId_imageId_modelId_methodKey_key" ON "StudyCell"("studyId", "imageId", "modelId", "methodKey");

-- CreateIndex
CREATE INDEX "Explanation_studyId_createdAt_idx" ON "Explanation"("studyId", "createdAt");

-- AddForeignKey
ALTER TABLE "Explanation" ADD CONSTRAINT "Explanation_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyImage" ADD CONSTRAINT "StudyImage_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyImage" ADD CONSTRAINT "StudyImage_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyModel" ADD CONSTRAINT "StudyModel_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyModel" ADD CONSTRAINT "StudyModel_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyMethod" ADD CONSTRAINT "StudyMethod_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyCell" ADD CONSTRAINT "StudyCell_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyCell" ADD CONSTRAINT "StudyCell_imageId_fkey" FOREIGN KEY ("imageId") REFERENCES "Image"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyCell" ADD CONSTRAINT "StudyCell_modelId_fkey" FOREIGN KEY ("modelId") REFERENCES "Model"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StudyCell" ADD CONSTRAINT "StudyCell_explanationId_fkey" FOREIGN KEY ("explanationId") REFERENCES "Explanation"("id") ON DELETE SET NULL ON UPDATE CASCADE;
