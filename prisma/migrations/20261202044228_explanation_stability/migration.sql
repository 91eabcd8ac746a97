-- AlterTable
ALTER TABLE "Explanation" ADD COLUMN "stability" REAL;
