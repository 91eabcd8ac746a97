-- AlterTable
ALTER TABLE "Explanation" ADD COLUMN     "stability" DOUBLE PRECISION;
