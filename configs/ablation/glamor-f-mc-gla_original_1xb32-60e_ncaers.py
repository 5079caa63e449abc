# Table 4 (iv) w/F + w/mC + w/GLA: the full GLAMOR-Net (original encoders) on
# NCAER-S, 46.91 % in the paper; also Table 3 "GLAMOR-Net (original)" and
# Table 6 "Fusion Net". The other Table 4 rows are overrides of this file.
_base_ = ['../glamor/glamor_original_1xb32-60e_ncaers.py']

# log the mean fusion weights w_f / w_c of every epoch (paper Sec. 4.2)
custom_hooks = [dict(type='FusionWeightHook')]
