"""MER Studio's PyTorch side: AHMSA-Net, LOSO training, ONNX export."""
