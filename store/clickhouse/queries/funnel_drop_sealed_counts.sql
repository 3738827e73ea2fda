ALTER TABLE funnel_sealed_counts DROP PARTITION @generation
