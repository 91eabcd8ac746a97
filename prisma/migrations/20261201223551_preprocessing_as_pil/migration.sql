-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Model" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL DEFAULT '1',
    "description" TEXT,
    "sha256" TEXT NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "fileKey" TEXT NOT NULL,
    "builtin" BOOLEAN NOT NULL DEFAULT false,
    "quantized" BOOLEAN NOT NULL,
    "inputName" TEXT NOT NULL,
    "outputName" TEXT NOT NULL,
    "layout" TEXT NOT NULL,
    "channelOrder" TEXT NOT NULL,
    "resizeMode" TEXT NOT NULL DEFAULT 'CENTER_CROP',
    "resizeShorter" INTEGER,
    "interpolation" TEXT NOT NULL DEFAULT 'BILINEAR',
    "colorProfile" TEXT NOT NULL DEFAULT 'IGNORE',
    "orientation" TEXT NOT NULL DEFAULT 'IGNORE',
    "inputWidth" INTEGER NOT NULL,
    "inputHeight" INTEGER NOT NULL,
    "scale" REAL NOT NULL,
    "mean" JSONB NOT NULL,
    "std" JSONB NOT NULL,
    "outputKind" TEXT NOT NULL,
    "numClasses" INTEGER NOT NULL,
    "labels" JSONB NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Model" ("builtin", "byteSize", "channelOrder", "createdAt", "description", "fileKey", "id", "inputHeight", "inputName", "inputWidth", "labels", "layout", "mean", "name", "numClasses", "outputKind", "outputName", "quantized", "resizeShorter", "scale", "sha256", "std", "version") SELECT "builtin", "byteSize", "channelOrder", "createdAt", "description", "fileKey", "id", "inputHeight", "inputName", "inputWidth", "labels", "layout", "mean", "name", "numClasses", "outputKind", "outputName", "quantized", "resizeShorter", "scale", "sha256", "std", "version" FROM "Model";
DROP TABLE "Model";
ALTER TABLE "new_Model" RENAME TO "Model";
CREATE UNIQUE INDEX "Model_name_version_key" ON "Model"("name", "version");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
