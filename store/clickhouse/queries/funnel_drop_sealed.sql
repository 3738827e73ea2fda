ALTER TABLE funnel_sealed DROP PARTITION @generation
