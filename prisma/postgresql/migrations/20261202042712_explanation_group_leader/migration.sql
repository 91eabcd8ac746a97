-- AlterTable
ALTER TABLE "Explanation" ADD COLUMN     "groupLeaderId" TEXT;
